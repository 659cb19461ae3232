"""Companies' outlets and the outlet staff accounts that redeem there (all audited)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import time
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.meals.errors import MealError
from marketplace.meals.models import Outlet
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.organisations.service import OrganisationError, ensure_may_act
from marketplace.regions.models import STREET, Region


@dataclass
class OutletDetails:
    """What a company says about an outlet."""

    name: str
    address: str
    street_code: str
    serves_from: time
    serves_until: time
    is_active: bool = True


def is_company_member(actor: Any) -> bool:
    """Whether the account is a member of a company (the organisations that run outlets and pledge meals)."""
    org = actor.organisation if getattr(actor, "role", None) == Role.ORG_MEMBER else None
    return org is not None and org.kind == "company"


def company_of(actor: Any) -> Organisation:
    """The approved company the member acts for; refused for anyone else."""
    org = actor.organisation if is_company_member(actor) else None
    if org is None:
        raise PermissionError("only members of a company manage outlets and pledges")
    try:
        ensure_may_act(org)
    except OrganisationError as exc:
        raise MealError(str(exc)) from exc
    return org


def _street(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None or region.level != STREET or not region.parent_code:
        raise MealError(_l("choose the street the outlet is in"))
    return region


def _apply(outlet: Outlet, details: OutletDetails) -> None:
    if details.serves_from >= details.serves_until:
        raise MealError(_l("serving must end after it starts, on the same day"))
    street = _street(details.street_code)
    outlet.name, outlet.address = details.name.strip(), details.address.strip()
    outlet.street_code, outlet.district_code = street.code, street.parent_code
    outlet.serves_from, outlet.serves_until = details.serves_from, details.serves_until
    outlet.is_active = details.is_active


def _snapshot(details: OutletDetails) -> dict[str, Any]:
    return {k: (v.strftime("%H:%M") if isinstance(v, time) else v) for k, v in asdict(details).items()}


def create_outlet(*, actor: User, details: OutletDetails, photo: Any = None) -> Outlet:
    """A company registers an outlet (it serves pledged meals once staff approve a pledge)."""
    org = company_of(actor)
    outlet = Outlet(organisation_id=org.id)
    _apply(outlet, details)
    if photo is not None:
        outlet.photo_key, outlet.photo_type = photo.key, photo.content_type
    db.session.add(outlet)
    db.session.flush()
    audit.record("outlet.create", actor=actor, obj=outlet, region_code=outlet.street_code, after=_snapshot(details))
    return outlet


def update_outlet(outlet: Outlet, *, actor: User, details: OutletDetails, photo: Any = None) -> None:
    """Change an outlet's details; vouchers already booked keep the hours they were booked with."""
    org = company_of(actor)
    if outlet.organisation_id != org.id:
        raise PermissionError("not your company's outlet")
    before = _snapshot(OutletDetails(outlet.name, outlet.address, outlet.street_code, outlet.serves_from,
                                     outlet.serves_until, outlet.is_active))
    _apply(outlet, details)
    if photo is not None:
        outlet.photo_key, outlet.photo_type = photo.key, photo.content_type
    audit.record("outlet.update", actor=actor, obj=outlet, region_code=outlet.street_code, before=before,
                 after=_snapshot(details))


def company_outlets(org_id: int) -> list[Outlet]:
    """A company's outlets, by name."""
    return list(db.session.scalars(
        sa.select(Outlet).where(Outlet.organisation_id == org_id).order_by(Outlet.name, Outlet.id)
    ))


def assign_staff(user: User, outlet: Outlet, *, actor: Any = None) -> None:
    """Make an outlet staff account redeem at this outlet (it must belong to the outlet's company)."""
    if user.role != Role.OUTLET_STAFF or user.organisation_id != outlet.organisation_id:
        raise MealError(_l("only outlet staff of the outlet's own company can be assigned to it"))
    before = user.outlet_id
    user.outlet_id = outlet.id
    audit.record("user.outlet_assign", actor=actor, obj=user, before={"outlet_id": before},
                 after={"outlet_id": outlet.id}, actor_label=None if actor else "system")


def add_outlet_staff(outlet: Outlet, *, actor: User, email: str, password: str, display_name: str = "") -> User:
    """A company creates a sign-in for someone at one of its outlets."""
    org = company_of(actor)
    if outlet.organisation_id != org.id:
        raise PermissionError("not your company's outlet")
    try:
        user = accounts.create_user(email, password, Role.OUTLET_STAFF, organisation_id=org.id,
                                    display_name=display_name, actor=actor)
    except accounts.AccountError as exc:
        raise MealError(str(exc)) from exc
    assign_staff(user, outlet, actor=actor)
    return user


def outlet_staff(outlet_id: int) -> list[User]:
    """The accounts that redeem at an outlet."""
    return list(db.session.scalars(sa.select(User).where(User.outlet_id == outlet_id).order_by(User.email)))


def serving_outlets(street_code: str = "") -> list[Outlet]:
    """Active outlets of approved companies: the chosen street's first, then its district's, then the rest."""
    query = (
        sa.select(Outlet).join(Outlet.organisation)
        .where(Outlet.is_active.is_(True), Organisation.status == OrgStatus.APPROVED)
    )
    street = db.session.get(Region, street_code) if street_code else None
    order: list[Any] = []
    if street is not None:
        order = [sa.case((Outlet.street_code == street.code, 0), (Outlet.district_code == street.parent_code, 1),
                         else_=2)]
    return list(db.session.scalars(query.order_by(*order, Outlet.district_code, Outlet.street_code, Outlet.id)))


def streets_with_outlets() -> list[Region]:
    """Streets where at least one outlet serves, for the resident's "near me" choice."""
    codes = sa.select(Outlet.street_code).where(Outlet.is_active.is_(True)).distinct()
    return list(db.session.scalars(sa.select(Region).where(Region.code.in_(codes)).order_by(Region.code)))
