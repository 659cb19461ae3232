"""Staff scope: which districts and streets a signed-in account may see."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.regions.models import STREET, Region

T = TypeVar("T")


def region_filter(user: Any, district_col: Any, street_col: Any) -> Any:
    """A SQL condition limiting rows (with district and street columns) to the user's scope.

    Admins see everything; district staff their district; street staff their street only.
    """
    if user.role == Role.ADMIN:
        return sa.true()
    if user.role != Role.STAFF or not user.region_code:
        return sa.false()
    region = db.session.get(Region, user.region_code)
    if region is not None and region.level == STREET:
        return street_col == region.code
    return district_col == user.region_code


def covers(user: Any, obj: Any) -> bool:
    """Whether a staff or admin account's scope covers an object placed in a district and street
    (a need, household, referral, project, outlet…); never for other roles."""
    return in_scope(user, obj.district_code, obj.street_code)


def guard(obj: T) -> T:
    """The object, if the signed-in staff account's scope covers it; else the page answers 403."""
    if not covers(current_user, obj):
        abort(403)
    return obj


def in_scope(user: Any, district_code: str, street_code: str | None) -> bool:
    """Whether one object with this district and street lies in the user's scope."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.STAFF or not user.region_code:
        return False
    return user.region_code in (district_code, street_code)


def covers_region(user: Any, region: Region) -> bool:
    """Whether the user's scope covers the whole of one region: admins every region, a district's
    staff the district and its streets, a street's staff that street alone (never its district)."""
    return in_scope(user, region.district_code, region.code if region.level == STREET else None)


def covers_all_regions(user: Any, regions: list[Region]) -> bool:
    """Whether the user's scope covers every one of the regions (and there is at least one)."""
    return bool(regions) and all(covers_region(user, region) for region in regions)
