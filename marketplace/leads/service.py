"""Leads: reported by anyone (public form) or signed in; triaged by the street's staff.

A lead is triaged once: the conditional UPDATE of its status lets exactly one of two staff acting
at once make it a referral or close it. A referral is made through the intake every referral comes
through (households/intake.py), source `lead`, external id `L<lead id>`, so the chain lead →
referral → need is kept and the referral is validated like one from the API or a file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock, state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers, in_scope, region_filter
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.models import Referral
from marketplace.leads.models import LEAD_SOURCE, CloseReason, Lead, LeadStatus, ReporterKind
from marketplace.notifications import service as notices
from marketplace.regions.models import STREET, Region


class LeadError(DomainError):
    """A lead was refused; the message says why."""


class LeadAction(StrEnum):
    """What staff do with a lead; a page asks `allowed(lead).refer`."""

    REFER = "refer"
    CLOSE = "close"


LEAD_MOVES: state.Moves[LeadAction, LeadStatus] = state.Moves(Lead.status, {
    LeadAction.REFER: ((LeadStatus.NEW,), LeadStatus.REFERRED),
    LeadAction.CLOSE: ((LeadStatus.NEW,), LeadStatus.CLOSED),
})


@state.answers(Lead)
def allowed(lead: Lead, user: Any) -> state.Allowed[LeadAction]:
    """Staff of the lead's street or district triage a new lead."""
    offered = LEAD_MOVES.offered(lead.status)
    return state.Allowed(LeadAction, offered if covers(user, lead) else (), offered)


def _kind_of(reporter: Any) -> ReporterKind:
    if reporter is None or not getattr(reporter, "is_authenticated", False):
        return ReporterKind.PUBLIC
    if reporter.role in (Role.STAFF, Role.ADMIN):
        return ReporterKind.STAFF
    return ReporterKind.ORGANISATION


def report(*, street_code: str, description: str, household_contact: str, reporter_contact: str,
           reporter: Any = None) -> Lead:
    """Record a lead in its street; the street's staff are told. `reporter`: the signed-in user, if any."""
    street = db.session.get(Region, street_code or "")
    if street is None or street.level != STREET:
        raise LeadError(_l("Choose the street where the household lives."))
    description = (description or "").strip()
    if len(description) < 10:
        raise LeadError(_l("Describe in a few words (at least 10 characters) why the household may need help."))
    kind = _kind_of(reporter)
    lead = Lead(district_code=street.parent_code, street_code=street.code, description=description[:2000],
                household_contact=(household_contact or "").strip()[:300],
                reporter_contact=(reporter_contact or "").strip()[:200], reporter_kind=kind,
                reporter_id=reporter.id if kind != ReporterKind.PUBLIC else None, light="green")
    db.session.add(lead)
    db.session.flush()
    audit.record("lead.report", actor=reporter if kind != ReporterKind.PUBLIC else None,
                 actor_label=None if kind != ReporterKind.PUBLIC else "anonymous", obj=lead,
                 region_code=lead.region_code, after={"status": LeadStatus.NEW, "reporter_kind": kind})
    notices.notify_region_staff(lead.district_code, lead.street_code, "lead_reported", "leads", lead.id,
                                {"street": street.name})
    return lead


def reveal_personal_data(lead: Lead, *, actor: User) -> dict[str, str]:
    """The household's and the reporter's contact, for staff of the region; every call is audited."""
    if not covers(actor, lead):
        raise PermissionError("outside your region")
    audit.record("lead.view_personal", actor=actor, obj=lead, region_code=lead.region_code)
    return {"household_contact": lead.household_contact, "reporter_contact": lead.reporter_contact}


def refer(lead: Lead, payload: dict[str, Any], *, actor: User) -> Referral:
    """Make the lead a referral (the intake validates `payload`, the contract's shape without ids);
    the lead keeps the link. One winner among staff acting at once."""
    if not covers(actor, lead):
        raise PermissionError("outside your region")
    household = payload.get("household") or {}
    if not in_scope(actor, str(household.get("region_code") or ""), household.get("street")):
        raise LeadError(_l("This street is outside your region."))
    now = clock.now()
    if not LEAD_MOVES.take(lead, LeadAction.REFER, {"triaged_by_id": actor.id, "triaged_at": now,
                                                    "light": None, "updated_at": now}):
        raise LeadError(_l("This lead was already triaged."))
    stamp = clock.local(now)
    household = {**household, "external_id": f"L{lead.id}"}
    received = intake.receive(LEAD_SOURCE, {
        **payload, "external_id": f"L{lead.id}", "referred_at": stamp.isoformat(timespec="seconds"),
        "household": household,
    }, actor=actor)
    lead.referral_id = received.referral.id
    db.session.flush()
    audit.record("lead.refer", actor=actor, obj=lead, region_code=lead.region_code,
                 before={"status": LeadStatus.NEW},
                 after={"status": LeadStatus.REFERRED, "referral_id": received.referral.id})
    return received.referral


def close(lead: Lead, *, actor: User, reason: str, note: str = "") -> None:
    """Close a lead without a referral, with a reason; one winner among staff acting at once."""
    if not covers(actor, lead):
        raise PermissionError("outside your region")
    if reason not in set(CloseReason):
        raise LeadError(_l("Choose why the lead is closed."))
    note = (note or "").strip()[:2000]
    if reason == CloseReason.OTHER and not note:
        raise LeadError(_l("Say why the lead is closed."))
    now = clock.now()
    if not LEAD_MOVES.take(lead, LeadAction.CLOSE, {"close_reason": reason, "close_note": note,
                                                    "triaged_by_id": actor.id, "triaged_at": now,
                                                    "light": None, "updated_at": now}):
        raise LeadError(_l("This lead was already triaged."))
    audit.record("lead.close", actor=actor, obj=lead, region_code=lead.region_code,
                 before={"status": LeadStatus.NEW}, after={"status": LeadStatus.CLOSED, "reason": reason})


def lead_of_referral(referral: Referral) -> Lead | None:
    """The lead a referral was made from, if any."""
    return db.session.scalar(sa.select(Lead).where(Lead.referral_id == referral.id))


def counts(user: Any) -> dict[str, int]:
    """New leads in the user's scope, and how many of them are red."""
    row = db.session.execute(sa.select(
        sa.func.count().filter(Lead.status == LeadStatus.NEW),
        sa.func.count().filter(Lead.status == LeadStatus.NEW, Lead.light == "red"),
    ).where(region_filter(user, Lead.district_code, Lead.street_code))).one()
    return {"new": row[0] or 0, "red": row[1] or 0}
