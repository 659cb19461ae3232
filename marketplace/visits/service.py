"""Visit plans and visit records: who visits a household, and what a visit found.

A visit that finds a need makes it in the same step, through the triage of a referral the visit
itself files (source "visit"): the same checks (caps, dates, the story guard) and the same audit
rows as any referral's need, and the need keeps the chain visit → referral → need.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import service as households
from marketplace.households.models import Household, Referral, ReferralStatus
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.visits import plans, signals
from marketplace.visits.models import Visit, VisitPlan

VISIT_SOURCE = "visit"  # the source of referrals a visit files for the needs it found
_SLACK = timedelta(minutes=10)  # a phone's clock a little ahead is not "the future"


class VisitError(DomainError):
    """A visit or an assignment was refused; the message says why."""


def _check(household: Household, actor: User) -> None:
    if not covers(actor, household):
        raise PermissionError("outside your region")


def caseworkers_for(household: Household) -> sa.Select:
    """The enabled staff accounts whose region covers the household (its district's and its street's)."""
    codes = [c for c in (household.district_code, household.street_code) if c]
    return (sa.select(User).where(User.role == Role.STAFF, User.is_enabled.is_(True), User.region_code.in_(codes))
            .order_by(User.display_name, User.id))


def social_work_projects() -> sa.Select:
    """The approved organisations of kind social-work project, which may be given households to visit."""
    return (sa.select(Organisation).where(Organisation.kind == "project", Organisation.status == OrgStatus.APPROVED)
            .order_by(Organisation.name, Organisation.id))


def assign(household: Household, *, caseworker_id: int | None, organisation_id: int | None, actor: User) -> VisitPlan:
    """Give the household's visits to a caseworker of its region or to a social-work project (or to nobody)."""
    _check(household, actor)
    if caseworker_id and organisation_id:
        raise VisitError(_l("choose a caseworker or a social-work project, not both"))
    if caseworker_id and db.session.scalar(caseworkers_for(household).where(User.id == caseworker_id)) is None:
        raise VisitError(_l("the caseworker must be a staff member of the household's region"))
    if organisation_id and db.session.scalar(social_work_projects().where(Organisation.id == organisation_id)) is None:
        raise VisitError(_l("only an approved social-work project can be given visits"))
    plan = plans.plan_for(household, clock.now())
    before = {"caseworker_id": plan.caseworker_id, "organisation_id": plan.organisation_id}
    after = {"caseworker_id": caseworker_id or None, "organisation_id": organisation_id or None}
    if before == after:
        return plan
    plan.caseworker_id, plan.organisation_id = after["caseworker_id"], after["organisation_id"]
    db.session.flush()
    audit.record("visit.assign", actor=actor, obj=household, region_code=household.region_code,
                 before=before, after=after)
    return plan


@dataclass
class VisitReport:
    """What the visit record form says."""

    visited_at: datetime
    visitors: str
    met: bool
    seen: str
    found: households.NeedDraft | None = None  # a need found on the visit, to make as a draft


def record_visit(household: Household, report: VisitReport, *, actor: User) -> Visit:
    """Record a visit (and the draft need it found); the household's plan counts from it."""
    _check(household, actor)
    now = clock.now()
    if report.visited_at > now + _SLACK:
        raise VisitError(_l("a visit cannot be recorded in the future"))
    visitors = report.visitors.strip()
    if not visitors:
        raise VisitError(_l("say who visited"))
    if not report.met and report.found is not None:
        raise VisitError(_l("a need can be recorded only from a visit that met the household"))
    visit = Visit(household_id=household.id, visited_at=report.visited_at, visitors=visitors[:200],
                  met=report.met, seen=report.seen.strip()[:4000], recorded_by_id=actor.id)
    db.session.add(visit)
    db.session.flush()
    need = _file_need(household, visit, report.found, actor) if report.found is not None else None
    visit.need_id = need.id if need else None
    plan = plans.plan_for(household, now)
    # The latest visit counts, whichever order visits are typed in (one conditional UPDATE).
    db.session.execute(
        sa.update(VisitPlan)
        .where(VisitPlan.id == plan.id,
               sa.or_(VisitPlan.last_visit_at.is_(None), VisitPlan.last_visit_at < visit.visited_at))
        .values(last_visit_at=visit.visited_at, updated_at=now).execution_options(synchronize_session=False))
    db.session.refresh(plan)
    audit.record("visit.record", actor=actor, obj=household, region_code=household.region_code,
                 after={"visit_id": visit.id, "met": report.met, "need_id": visit.need_id,
                        "visited_at": report.visited_at.isoformat()})
    signals.household_visited.send(household.id)
    return visit


def _file_need(household: Household, visit: Visit, draft: households.NeedDraft, actor: User) -> Need:
    """The referral the visit files for the need it found, triaged at once into a draft need."""
    households.check_draft(draft, household)  # refused before anything is filed
    body = f"{VISIT_SOURCE}:{visit.id}:{draft.title}:{draft.story}"
    referral = Referral(
        source=VISIT_SOURCE, external_id=f"V{visit.id}", household_id=household.id,
        district_code=household.district_code, referred_at=visit.visited_at, status=ReferralStatus.RECEIVED,
        need_kind=draft.kind, need_category=draft.category, title=draft.title.strip()[:100],
        description=draft.story.strip(), quantity=draft.quantity, estimated_value_fen=draft.value_fen,
        urgency="urgent" if draft.is_urgent else "normal", needed_by=draft.fulfil_by,
        content_hash=hashlib.sha256(body.encode()).hexdigest(), created_by_id=actor.id,
    )
    db.session.add(referral)
    referral.household = household
    db.session.flush()
    audit.record("referral.receive", actor=actor, obj=referral, region_code=household.region_code,
                 after={"source": VISIT_SOURCE, "external_id": referral.external_id})
    return households.triage(referral, draft, actor=actor)


def history(household: Household, limit: int = 50) -> list[Visit]:
    """The household's visits, latest first."""
    return list(db.session.scalars(sa.select(Visit).where(Visit.household_id == household.id)
                                   .order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(limit)))


def plan_of(household: Household) -> VisitPlan | None:
    """The household's plan, if it has one yet."""
    return db.session.scalar(sa.select(VisitPlan).where(VisitPlan.household_id == household.id))


def state_of(plan: VisitPlan | None, now: datetime) -> str | None:
    """late / overdue / due / None for one plan (the list's CASE, evaluated for one row)."""
    if plan is None or not plan.interval_days:
        return None
    cut = plans.Cutoffs.at(now)
    since = plan.seen_since
    for state, extra in ((plans.LATE, cut.grace_days), (plans.OVERDUE, 0), (plans.DUE_SOON, -cut.soon_days)):
        if since < now - timedelta(days=plan.interval_days + extra):
            return state
    return None

