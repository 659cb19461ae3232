"""Organisation registration and review by staff (all audited).

Who decides: approving or rejecting an organisation needs staff whose region covers ALL of its
service regions (`accounts/scope.covers_all_regions`): an organisation serving a whole district is
decided by that district's staff or an admin, one serving streets of two districts by an admin.
Staff who see the organisation (`can_review`: one of its regions is theirs, or a street's district)
but cannot decide may recommend a decision with a reason; the deciding staff read it on the review
page. `REVIEW_MOVES` is the table of which status allows which decision, and `allowed()` tells the
page what the reader may do from it and from the same checks of who may act.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock, state, taxonomy
from marketplace.accounts import password_rule, passwords
from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers_all_regions
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.notifications import service as notices
from marketplace.organisations import credit_code, search
from marketplace.organisations.models import (
    STATUS_LABELS,
    Decision,
    Organisation,
    OrganisationCategory,
    OrgStatus,
    Recommendation,
    organisation_regions,
)
from marketplace.regions.models import Region
from marketplace.search import text


class OrganisationError(DomainError):
    """An organisation operation was refused; the message says why."""


@dataclass
class Registration:
    """What an organisation gives when it registers, with its first member account."""

    name: str
    kind: str
    credit_code: str
    contact_name: str
    contact_phone: str
    contact_email: str
    member_email: str
    member_password: str
    description: str = ""
    region_codes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def credit_code_taken(code: str) -> bool:
    """Whether an organisation already registered this unified social credit code."""
    code = credit_code.normalise(code)
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == code)) is not None


def register(reg: Registration) -> Organisation | None:
    """Create a pending organisation and its first member; staff review it next.

    When the member's email already has an account, nothing is created and None is returned: the
    owner gets an email saying someone tried, and the caller answers exactly as for a new account,
    so the form never tells a stranger which emails have accounts.
    """
    code = credit_code.normalise(reg.credit_code)
    if not credit_code.is_valid(code):
        raise OrganisationError(_l("invalid unified social credit code"))
    if credit_code_taken(code):
        raise OrganisationError(_l("this unified social credit code is already registered"))
    regions = list(db.session.scalars(sa.select(Region).where(Region.code.in_(reg.region_codes))))
    if not regions or len(regions) != len(set(reg.region_codes)):
        raise OrganisationError(_l("choose at least one known service region"))
    password_rule.check(reg.member_password, email=reg.member_email, name=reg.contact_name)
    owner = accounts.find_by_email(reg.member_email)
    if owner is not None:
        passwords.hash_like_an_account(reg.member_password)  # the time a new account's hash takes
        passwords.warn_of_registration(owner)
        return None
    org = Organisation(
        name=reg.name.strip(),
        kind=reg.kind,
        credit_code=code,
        contact_name=reg.contact_name.strip(),
        contact_phone=reg.contact_phone.strip(),
        contact_email=accounts.normalise_email(reg.contact_email),
        description=reg.description.strip(),
        regions=regions,
        category_rows=[OrganisationCategory(category=c) for c in dict.fromkeys(reg.categories)],
    )
    db.session.add(org)
    db.session.flush()
    member = accounts.create_user(
        reg.member_email, reg.member_password, Role.ORG_MEMBER,
        organisation_id=org.id, display_name=reg.contact_name,
    )
    audit.record(
        "organisation.register", actor=member, obj=org,
        after={"name": org.name, "kind": org.kind, "status": org.status},
    )
    return org


def staff_scope_codes(user: User) -> list[str] | None:
    """Region codes whose organisations a staff member reviews; None means every region (admin)."""
    if user.role == Role.ADMIN:
        return None
    region = db.session.get(Region, user.region_code) if user.region_code else None
    if region is None:
        return []
    # A district's staff see its streets; a street's staff also see district-wide organisations.
    codes = [region.code, *(c.code for c in region.children)]
    if region.parent_code:
        codes.append(region.parent_code)
    return codes


def reviewable_query(user: User, *, status: str = "", kind: str = "", q: str = "") -> sa.Select:
    """Organisations visible to this staff member or admin, filtered, newest first."""
    query = sa.select(Organisation).order_by(Organisation.created_at.desc(), Organisation.id.desc())
    scope = staff_scope_codes(user)
    if scope is not None:
        in_scope = sa.select(organisation_regions.c.organisation_id).where(
            organisation_regions.c.region_code.in_(scope)
        )
        query = query.where(Organisation.id.in_(in_scope))
    if status:
        query = query.where(Organisation.status == status)
    if kind:
        query = query.where(Organisation.kind == kind)
    searched = text.parse(q)
    if searched:  # the same search as the needs lists: name, description, kind, services, regions
        query = query.where(sa.or_(Organisation.id.in_(search.match(searched).keys),
                                   Organisation.credit_code == credit_code.normalise(q)))
    elif q:
        query = query.where(Organisation.credit_code == credit_code.normalise(q))
    return query


class ReviewAction(StrEnum):
    """What staff do on an organisation's review page; the page asks `allowed(org).approve` and so on."""

    APPROVE = "approve"
    REJECT = "reject"
    RECOMMEND = "recommend"  # advice, for staff who see the organisation but may not decide


_O = OrgStatus
REVIEW_MOVES: state.Moves[ReviewAction, OrgStatus] = state.Moves(Organisation.status, {
    ReviewAction.APPROVE: ((_O.PENDING, _O.REJECTED), _O.APPROVED),
    ReviewAction.REJECT: ((_O.PENDING, _O.APPROVED), _O.REJECTED),
    ReviewAction.RECOMMEND: (tuple(OrgStatus), None),
})
DECISIONS = {Decision.APPROVE: ReviewAction.APPROVE, Decision.REJECT: ReviewAction.REJECT}


def can_review(user: User, org: Organisation) -> bool:
    """Whether staff see this organisation's review page: admins any; staff those serving a region in their scope."""
    scope = staff_scope_codes(user)
    return scope is None or any(r.code in scope for r in org.regions)


def may_decide(user: Any, org: Organisation) -> bool:
    """Whether the user approves or rejects this organisation: staff whose region covers all its service regions."""
    return covers_all_regions(user, list(org.regions))


def _who(action: ReviewAction, user: Any, org: Organisation) -> bool:
    if user.role not in (Role.STAFF, Role.ADMIN):
        return False
    if action == ReviewAction.RECOMMEND:
        return can_review(user, org) and not may_decide(user, org)
    return may_decide(user, org)


@state.answers(Organisation)
def allowed(org: Organisation, user: Any) -> state.Allowed[ReviewAction]:
    """What `user` may do on this organisation's review page now."""
    offered = REVIEW_MOVES.offered(org.status)
    return state.Allowed(ReviewAction, {action for action in offered if _who(action, user, org)}, offered)


def _refuse_unless_seen(actor: User, org: Organisation) -> None:
    if not can_review(actor, org):
        raise OrganisationError(_l("this organisation is outside your region"))


def review(org: Organisation, *, actor: User, approve: bool, reason: str = "") -> None:
    """Approve, or reject with a reason the organisation will read (staff covering all its regions)."""
    _refuse_unless_seen(actor, org)
    if not may_decide(actor, org):
        raise OrganisationError(_l("only staff whose region covers all of this organisation's service regions "
                                   "decide on it: you may recommend a decision"))
    reason = reason.strip()
    if not approve and not reason:
        raise OrganisationError(_l("a rejection needs a reason"))
    action = ReviewAction.APPROVE if approve else ReviewAction.REJECT
    target = REVIEW_MOVES.table[action].target
    before = {"status": org.status, "reason": org.review_reason}
    REVIEW_MOVES.take(org, action, {"review_reason": reason, "reviewed_at": clock.now(), "reviewed_by_id": actor.id},
                      OrganisationError(_l("the organisation is already %(status)s", status=STATUS_LABELS[target])))
    audit.record(
        "organisation.approve" if approve else "organisation.reject",
        actor=actor, obj=org, before=before, after={"status": org.status, "reason": reason},
    )
    if approve:
        notices.notify_organisation(org.id, "org_approved", "organisations", org.id, {"name": org.name})
    else:
        notices.notify_organisation(org.id, "org_rejected", "organisations", org.id,
                                    {"name": org.name, "reason": reason})


def recommend(org: Organisation, *, actor: User, decision: str, reason: str) -> Recommendation:
    """Staff who see the organisation but may not decide advise a decision, with their reason (audited)."""
    _refuse_unless_seen(actor, org)
    if may_decide(actor, org):
        raise OrganisationError(_l("you decide on this organisation yourself"))
    reason = reason.strip()
    if decision not in DECISIONS or not reason:
        raise OrganisationError(_l("choose a decision and write your reason"))
    item = Recommendation(decision=decision, reason=reason[:2000], recommended_by_id=actor.id)
    org.recommendations.append(item)
    db.session.flush()
    audit.record("organisation.recommend", actor=actor, obj=org,
                 after={"recommendation_id": item.id, "decision": decision, "reason": item.reason})
    return item


def ensure_may_act(org: Organisation | None) -> None:
    """Refuse any claim, pledge or redemption by an organisation that is not approved."""
    if org is None or not org.is_approved:
        raise OrganisationError(_l("only approved organisations may do this"))


@dataclass
class Capability:
    """What an organisation says it provides (docs/matching.md): read by recommendations and offers."""

    categories: list[str]
    region_codes: list[str]
    capacity_open: int | None = None
    capacity_month: int | None = None
    value_min_fen: int | None = None
    value_max_fen: int | None = None
    response_hours: int | None = None


def update_capability(org: Organisation, cap: Capability, *, actor: User) -> None:
    """A member of the organisation states its capability profile; audited with what changed."""
    if actor.role != Role.ORG_MEMBER or actor.organisation_id != org.id:
        raise PermissionError("only the organisation's members edit its profile")
    categories = list(dict.fromkeys(c for c in cap.categories if c in taxonomy.NEED_CATEGORIES))
    if not categories or len(categories) != len(set(cap.categories)):
        raise OrganisationError(_l("choose at least one category or service from the list"))
    regions = list(db.session.scalars(sa.select(Region).where(Region.code.in_(cap.region_codes))))
    if not regions or len(regions) != len(set(cap.region_codes)):
        raise OrganisationError(_l("choose at least one known service region"))
    for number in (cap.capacity_open, cap.capacity_month, cap.value_min_fen, cap.value_max_fen, cap.response_hours):
        if number is not None and number < 0:
            raise OrganisationError(_l("numbers in the profile cannot be negative"))
    if cap.value_min_fen is not None and cap.value_max_fen is not None and cap.value_min_fen > cap.value_max_fen:
        raise OrganisationError(_l("the smallest usual value must not be above the largest"))
    numbers = ("capacity_open", "capacity_month", "value_min_fen", "value_max_fen", "response_hours")
    before: dict[str, Any] = {key: getattr(org, key) for key in numbers}
    before |= {"categories": ",".join(org.categories), "regions": ",".join(r.code for r in org.regions)}
    for key in numbers:
        setattr(org, key, getattr(cap, key))
    if set(org.categories) != set(categories):
        org.category_rows = [OrganisationCategory(category=c) for c in categories]
    if {r.code for r in org.regions} != {r.code for r in regions}:
        org.regions = sorted(regions, key=lambda r: r.code)
    db.session.flush()
    after: dict[str, Any] = {key: getattr(org, key) for key in numbers}
    after |= {"categories": ",".join(sorted(categories)), "regions": ",".join(sorted(r.code for r in regions))}
    changed = {key for key in after if before.get(key) != after[key]}
    if changed:
        audit.record("organisation.capability", actor=actor, obj=org,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
