"""What the dashboard page reads: a region's stored figures, its children, its overdue needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.dashboard.compute import ALL, closure_rate
from marketplace.dashboard.models import RegionStats
from marketplace.extensions import db
from marketplace.needs.models import OPEN_STATUSES, Need
from marketplace.regions.models import DISTRICT, STREET, Region


def home_region(user: Any) -> str:
    """Where a user's dashboard starts: the whole city for admins, else their own region."""
    return ALL if user.role == Role.ADMIN else user.region_code


def may_view(user: Any, code: str) -> bool:
    """Admins see everything; district staff their district and its streets; street staff their street."""
    if user.role == Role.ADMIN:
        return code == ALL or db.session.get(Region, code) is not None
    if user.role != Role.STAFF or code == ALL:
        return False
    region = db.session.get(Region, code)
    return region is not None and user.region_code in (region.code, region.parent_code)


def children(code: str) -> list[Region]:
    """The regions one level down: districts under the city, streets under a district."""
    if code == ALL:
        return list(db.session.scalars(sa.select(Region).where(Region.level == DISTRICT).order_by(Region.code)))
    return list(db.session.scalars(sa.select(Region).where(Region.parent_code == code).order_by(Region.code)))


def figures(code: str) -> dict[str, Any]:
    """The stored figures of a region (empty if it has no needs yet), with the closure rate."""
    row = db.session.get(RegionStats, code)
    data = dict(row.data) if row else {}
    data["closure_rate"] = closure_rate(data)
    data["computed_at"] = row.computed_at if row else None
    return data


def closed_by_month() -> dict[str, int] | None:
    """Needs closed last month and this month in the whole city ("2026-11" → count), as of the last
    recompute; None before the scheduler first computed the figures."""
    row = db.session.get(RegionStats, ALL)
    return None if row is None or "closed_by_month" not in row.data else dict(row.data["closed_by_month"])


def child_figures(regions: list[Region]) -> dict[str, dict[str, Any]]:
    """Figures of many regions in one query."""
    rows = db.session.scalars(sa.select(RegionStats).where(RegionStats.region_code.in_([r.code for r in regions])))
    return {row.region_code: {**row.data, "closure_rate": closure_rate(row.data)} for row in rows}


def overdue(code: str, *, limit: int = 50) -> list[Need]:
    """Red needs of the region, the longest waiting first (served by an index, whatever the size)."""
    query = sa.select(Need).where(Need.light == "red", Need.status.in_(OPEN_STATUSES))
    if code != ALL:
        region = db.session.get(Region, code)
        column = Need.street_code if region is not None and region.level == STREET else Need.district_code
        query = query.where(column == code)
    return list(db.session.scalars(query.order_by(Need.published_at, Need.id).limit(limit)))
