"""The per-outlet-per-day quota counter: pledged meals are added to days, bookings take them.

`take_meal` is the only way a meal is booked: one conditional UPDATE (`booked < quota`) whose
row count says whether a meal was left. On PostgreSQL a second UPDATE of the same row waits for
the first to commit and then re-checks its WHERE clause; on SQLite writers queue on BEGIN
IMMEDIATE. Either way the last meal goes to exactly one booking, and the table's check
constraint (`booked <= quota`) would refuse an oversold row regardless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.meals.models import MealDay, MealPledge


def pledge_days(pledge: MealPledge) -> list[date]:
    """Every day the pledge puts meals on."""
    span = (pledge.ends_on - pledge.starts_on).days
    days = (pledge.starts_on + timedelta(days=n) for n in range(span + 1))
    return [day for day in days if pledge.serves_on(day)]


def add_pledge(pledge: MealPledge) -> int:
    """Add an approved pledge's meals to each of its days (creating day rows); returns the days."""
    days = pledge_days(pledge)
    existing = set(db.session.scalars(
        sa.select(MealDay.serve_date).where(MealDay.outlet_id == pledge.outlet_id, MealDay.serve_date.in_(days))
    ))
    if existing:
        db.session.execute(
            sa.update(MealDay)
            .where(MealDay.outlet_id == pledge.outlet_id, MealDay.serve_date.in_(existing))
            .values(quota=MealDay.quota + pledge.meals_per_day)
            .execution_options(synchronize_session=False)
        )
    missing = [
        {"outlet_id": pledge.outlet_id, "serve_date": day, "quota": pledge.meals_per_day, "booked": 0}
        for day in days if day not in existing
    ]
    if missing:
        db.session.execute(sa.insert(MealDay), missing)
    return len(days)


def take_meal(outlet_id: int, day: date) -> bool:
    """Book one meal of the day if one is left: one atomic conditional UPDATE."""
    result = db.session.execute(
        sa.update(MealDay)
        .where(MealDay.outlet_id == outlet_id, MealDay.serve_date == day, MealDay.booked < MealDay.quota)
        .values(booked=MealDay.booked + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def free_meal(outlet_id: int, day: date) -> None:
    """Give a cancelled meal back to the day."""
    db.session.execute(
        sa.update(MealDay)
        .where(MealDay.outlet_id == outlet_id, MealDay.serve_date == day, MealDay.booked > 0)
        .values(booked=MealDay.booked - 1)
        .execution_options(synchronize_session=False)
    )


def meals_left(outlet_ids: Iterable[int], days: Iterable[date]) -> dict[tuple[int, date], int]:
    """Meals still bookable per (outlet, day); days without a pledge are absent."""
    outlet_ids, days = list(outlet_ids), list(days)
    if not outlet_ids:
        return {}
    rows = db.session.execute(
        sa.select(MealDay.outlet_id, MealDay.serve_date, MealDay.quota - MealDay.booked)
        .where(MealDay.outlet_id.in_(outlet_ids), MealDay.serve_date.in_(days))
    )
    return {(outlet_id, day): left for outlet_id, day, left in rows}
