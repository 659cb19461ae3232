"""Counts for outlets, companies and leaderboards. Counts only: no row here can name a resident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.meals.models import MealDay, Outlet, Voucher, VoucherStatus


@dataclass
class DayCounts:
    """One outlet on one day: meals pledged, booked (not cancelled), redeemed, expired, still to come."""

    outlet_id: int
    day: date
    pledged: int = 0
    booked: int = 0
    redeemed: int = 0
    expired: int = 0
    waiting: int = 0


def _sums(now: datetime) -> list[sa.ColumnElement[int]]:
    def total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    over = sa.or_(Voucher.status == VoucherStatus.EXPIRED,
                  sa.and_(Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until <= now))
    waiting = sa.and_(Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until > now)
    return [total(Voucher.status != VoucherStatus.CANCELLED), total(Voucher.status == VoucherStatus.REDEEMED),
            total(over), total(waiting)]


_d = MealDay.__table__.c
# Built once (the outlet's page asks after every scan): the day's counter row, nothing counted.
OUTLET_DAY = sa.select(_d.quota, _d.booked, _d.redeemed, _d.expired).where(
    _d.outlet_id == sa.bindparam("outlet"), _d.serve_date == sa.bindparam("day"))


def day_counts(outlet_id: int, day: date, row: Any) -> DayCounts:
    """The figures of one counter row (zeros for a day without one)."""
    if row is None:
        return DayCounts(outlet_id, day)
    quota, booked, redeemed, expired = row
    return DayCounts(outlet_id, day, quota, booked, redeemed, expired, booked - redeemed - expired)


def outlet_day(outlet_id: int, day: date) -> DayCounts:
    """The figures an outlet sees beside each scan: one row of the day's counters."""
    row = db.session.connection().execute(OUTLET_DAY, {"outlet": outlet_id, "day": day}).first()
    return day_counts(outlet_id, day, row)


def company_days(org_id: int, start: date, end: date, now: datetime) -> list[DayCounts]:
    """Per outlet and day (newest first) for a company's outlets, over [start, end]."""
    query = (
        sa.select(MealDay.outlet_id, MealDay.serve_date, MealDay.quota, *_sums(now))
        .join(Outlet, Outlet.id == MealDay.outlet_id)
        .outerjoin(Voucher, sa.and_(Voucher.outlet_id == MealDay.outlet_id, Voucher.serve_date == MealDay.serve_date))
        .where(Outlet.organisation_id == org_id, MealDay.serve_date.between(start, end))
        .group_by(MealDay.outlet_id, MealDay.serve_date, MealDay.quota)
        .order_by(MealDay.serve_date.desc(), MealDay.outlet_id)
    )
    return [DayCounts(*row) for row in db.session.execute(query)]


def totals(rows: list[DayCounts]) -> dict[int, DayCounts]:
    """The same figures summed per outlet."""
    result: dict[int, DayCounts] = {}
    for row in rows:
        sum_ = result.setdefault(row.outlet_id, DayCounts(row.outlet_id, row.day))
        for name in ("pledged", "booked", "redeemed", "expired", "waiting"):
            setattr(sum_, name, getattr(sum_, name) + getattr(row, name))
    return result


def redeemed_meals_by_company(start: datetime, end: datetime) -> list[tuple[int, int, datetime | None]]:
    """(company id, meals redeemed, last redemption) for redemptions in [start, end): leaderboard points."""
    query = (
        sa.select(Outlet.organisation_id, sa.func.count(), sa.func.max(Voucher.redeemed_at))
        .join(Outlet, Outlet.id == Voucher.outlet_id)
        .where(Voucher.status == VoucherStatus.REDEEMED, Voucher.redeemed_at >= start, Voucher.redeemed_at < end)
        .group_by(Outlet.organisation_id)
        .order_by(Outlet.organisation_id)
    )
    return [(org_id, count, last) for org_id, count, last in db.session.execute(query)]


def meals_served() -> int:
    """All meals ever redeemed (the home page's figure), from the day counters: one row per outlet
    and day, where counting redeemed vouchers would read one index entry per meal ever served."""
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(MealDay.redeemed), 0))) or 0
