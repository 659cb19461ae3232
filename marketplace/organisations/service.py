"""Organisation registration and review by staff (all audited)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations import credit_code, search
from marketplace.organisations.models import (
    STATUS_LABELS,
    Organisation,
    OrganisationCategory,
    OrgStatus,
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


def register(reg: Registration) -> Organisation:
    """Create a pending organisation and its first member; staff review it next."""
    code = credit_code.normalise(reg.credit_code)
    if not credit_code.is_valid(code):
        raise OrganisationError(_l("invalid unified social credit code"))
    if credit_code_taken(code):
        raise OrganisationError(_l("this unified social credit code is already registered"))
    regions = list(db.session.scalars(sa.select(Region).where(Region.code.in_(reg.region_codes))))
    if not regions or len(regions) != len(set(reg.region_codes)):
        raise OrganisationError(_l("choose at least one known service region"))
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


def can_review(user: User, org: Organisation) -> bool:
    """Admins review any organisation; staff those serving a region in their scope."""
    scope = staff_scope_codes(user)
    return scope is None or any(r.code in scope for r in org.regions)


def review(org: Organisation, *, actor: User, approve: bool, reason: str = "") -> None:
    """Approve, or reject with a reason the organisation will read."""
    if not can_review(actor, org):
        raise OrganisationError(_l("this organisation is outside your region"))
    reason = reason.strip()
    if not approve and not reason:
        raise OrganisationError(_l("a rejection needs a reason"))
    new_status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    if org.status == new_status:
        raise OrganisationError(_l("the organisation is already %(status)s", status=STATUS_LABELS[new_status]))
    before = {"status": org.status, "reason": org.review_reason}
    org.status = new_status
    org.review_reason = reason
    org.reviewed_at = clock.now()
    org.reviewed_by_id = actor.id
    audit.record(
        "organisation.approve" if approve else "organisation.reject",
        actor=actor, obj=org, before=before, after={"status": org.status, "reason": reason},
    )


def ensure_may_act(org: Organisation | None) -> None:
    """Refuse any claim, pledge or redemption by an organisation that is not approved."""
    if org is None or not org.is_approved:
        raise OrganisationError(_l("only approved organisations may do this"))
