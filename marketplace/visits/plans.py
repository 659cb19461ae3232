"""How often each household is visited, and which visits are due, overdue or late past the grace.

A household's interval is the shorter of its category's and its group's (admin settings; 0 asks
for none). Whether a visit is due is a comparison of the plan's "seen since" moment with one
cut-off per distinct interval, computed in Python once per query: the SQL only compares columns
with parameters, the same on SQLite and PostgreSQL, with no date arithmetic in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import taxonomy
from marketplace.clock import local_date
from marketplace.db import insert_from_select_ignoring_duplicates, insert_ignoring_duplicates
from marketplace.extensions import db
from marketplace.households import signals as household_signals
from marketplace.households.models import Household
from marketplace.settings import service as settings
from marketplace.visits.models import VisitPlan

DUE_SOON, OVERDUE, LATE = "due", "overdue", "late"  # late: overdue past the grace period (red)
STATE_LABEL_KEYS = (LATE, OVERDUE, DUE_SOON)


def visit_days() -> dict[str, int]:
    """The visit interval every category and group asks for (0: none), read in one query."""
    codes = [*taxonomy.HOUSEHOLD_CATEGORIES, *taxonomy.HOUSEHOLD_GROUPS]
    values = settings.get_many([f"visit_days_{code}" for code in codes])
    return {code: values[f"visit_days_{code}"] for code in codes}


def interval_for(category: str, group: str, days: dict[str, int] | None = None) -> int:
    """A household's interval: the more frequent of its category's and its group's; 0 if neither asks.
    `days`: the settings already read (visit_days())."""
    days = days if days is not None else visit_days()
    asked = [d for d in (days.get(category, 0), days.get(group, 0)) if d > 0]
    return min(asked) if asked else 0


def interval_expression() -> sa.ColumnElement:
    """The interval of each household row, as a CASE over its category and group (literals only)."""
    days = visit_days()
    whens = []
    for category in taxonomy.HOUSEHOLD_CATEGORIES:
        for group in taxonomy.HOUSEHOLD_GROUPS:
            interval = interval_for(category, group, days)
            if interval:
                whens.append((sa.and_(Household.category == category, Household.group == group), interval))
    return sa.case(*whens, else_=0) if whens else sa.literal(0)


def seen_since(plans: Any = VisitPlan) -> sa.ColumnElement:
    """When the next visit counts from: the last visit, else the plan's start."""
    return sa.func.coalesce(plans.last_visit_at, plans.started_at)


def intervals_in_use() -> set[int]:
    """Every interval a household can have under the current settings."""
    days = visit_days()
    return {interval_for(c, g, days) for c in taxonomy.HOUSEHOLD_CATEGORIES for g in taxonomy.HOUSEHOLD_GROUPS} - {0}


def older_than(now: datetime, extra_days: int, plans: Any = VisitPlan,
               intervals: set[int] | None = None) -> sa.ColumnElement:
    """Plans whose last visit lies more than their interval plus `extra_days` before `now`.

    extra_days < 0: due within that many days; 0: overdue; the grace: late (red).
    """
    since = seen_since(plans)
    terms = [sa.and_(plans.interval_days == days, since < _before(now, days, extra_days))
             for days in sorted(intervals if intervals is not None else intervals_in_use())]
    return sa.or_(*terms) if terms else sa.false()


def _before(now: datetime | None, days: int, extra_days: int) -> Any:
    """now − (days + extra_days), or with `now` None the bound parameter standing for it
    (`Cutoffs.params` gives its value)."""
    if now is None:
        return sa.bindparam(_param(days, extra_days))
    return now - timedelta(days=days + extra_days)


def _param(days: int, extra_days: int) -> str:
    return f"visit_{days}_{'m' if extra_days < 0 else 'p'}{abs(extra_days)}"


@dataclass(frozen=True)
class Cutoffs:
    """The three states' conditions at one moment, from the settings."""

    now: datetime | None  # None: the moments are bound parameters (`bound`)
    soon_days: int
    grace_days: int
    intervals: frozenset[int]

    def bound(self) -> Cutoffs:
        """The same cut-offs with their moments as named bound parameters (values: `params`)."""
        return replace(self, now=None)

    def params(self) -> dict[str, datetime]:
        """The values of `bound()`'s parameters."""
        assert self.now is not None
        return {_param(days, extra): self.now - timedelta(days=days + extra)
                for days in self.intervals for extra in (-self.soon_days, 0, self.grace_days)}

    def shape(self) -> tuple[Any, ...]:
        """What decides the form of the conditions (not their values)."""
        return (self.soon_days, self.grace_days, tuple(sorted(self.intervals)))

    @classmethod
    def at(cls, now: datetime) -> Cutoffs:
        """The cut-offs of the current settings."""
        values = settings.get_many(["visit_due_soon_days", "visit_grace_days"])
        return cls(now, values["visit_due_soon_days"], values["visit_grace_days"], frozenset(intervals_in_use()))

    def due(self, plans: Any = VisitPlan) -> sa.ColumnElement:
        """Due soon, overdue or late."""
        return older_than(self.now, -self.soon_days, plans, set(self.intervals))

    def overdue(self, plans: Any = VisitPlan) -> sa.ColumnElement:
        """Past the date: the household lights yellow."""
        return older_than(self.now, 0, plans, set(self.intervals))

    def late(self, plans: Any = VisitPlan) -> sa.ColumnElement:
        """Past the date and the grace: the household lights red."""
        return older_than(self.now, self.grace_days, plans, set(self.intervals))

    def state(self, plans: Any = VisitPlan) -> sa.ColumnElement:
        """late / overdue / due / NULL, as one CASE (what the list sorts by: late first)."""
        return sa.case((self.late(plans), LATE), (self.overdue(plans), OVERDUE), (self.due(plans), DUE_SOON),
                       else_=sa.null())

    def rank(self, plans: Any = VisitPlan) -> sa.ColumnElement:
        """0 late, 1 overdue, 2 due soon, 3 not yet due: the "overdue first" order."""
        return sa.case((self.late(plans), 0), (self.overdue(plans), 1), (self.due(plans), 2), else_=3)


def due_on(plan: VisitPlan) -> date | None:
    """The date the next visit is due, in Guangzhou (None when the household needs no regular visit)."""
    if not plan.interval_days:
        return None
    return local_date(plan.seen_since) + timedelta(days=plan.interval_days)


def sync(now: datetime) -> dict[str, int]:
    """Give every household a plan and bring every plan's interval in step with the settings.

    Set-based: the households without a plan are found by one anti-join and inserted by
    INSERT … SELECT in chunks of ids (one statement that read the table it fills would make
    PostgreSQL, planning for an empty table, rescan it per row: 210 s for 200,000 households
    against 5 s; docs/BENCHMARKS.md), ignoring a plan made meanwhile; then one UPDATE of the
    plans whose interval differs from what their household's category and group now ask.
    """
    interval = interval_expression()
    missing = list(db.session.scalars(
        sa.select(Household.id).where(~sa.exists().where(VisitPlan.household_id == Household.id))
        .order_by(Household.id)))
    created = 0
    for start in range(0, len(missing), 5000):
        rows = (
            sa.select(Household.id, interval, Household.created_at, sa.literal(now, VisitPlan.created_at.type),
                      sa.literal(now, VisitPlan.updated_at.type))
            .where(Household.id.in_(missing[start:start + 5000]))
        )
        created += db.session.execute(insert_from_select_ignoring_duplicates(
            db.session, VisitPlan.__table__, ["household_id", "interval_days", "started_at", "created_at",
                                              "updated_at"], rows).execution_options(preserve_rowcount=True)
        ).rowcount
    wanted = sa.select(interval).where(Household.id == VisitPlan.household_id).scalar_subquery()
    changed = db.session.execute(
        sa.update(VisitPlan).where(VisitPlan.interval_days != wanted).values(interval_days=wanted, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"created": created, "changed": changed}


def plan_for(household: Household, now: datetime) -> VisitPlan:
    """The household's plan, made now if the periodic sync has not yet reached it."""
    query = sa.select(VisitPlan).where(VisitPlan.household_id == household.id)
    plan = db.session.scalar(query)
    if plan is None:
        # Two first visits recorded at once both try to make the plan: one row, whoever wins.
        db.session.execute(insert_ignoring_duplicates(
            db.session, VisitPlan.__table__, household_id=household.id,
            interval_days=interval_for(household.category, household.group),
            started_at=household.created_at, created_at=now, updated_at=now))
        plan = db.session.scalar(query)
    return plan


@household_signals.merging.connect
def _merge_plans(merged_id: int, *, kept_id: int) -> None:
    """One plan per household: the kept household keeps its own plan, with the later of the two last
    visits; only a kept household without a plan takes the merged one's (the merge moves it)."""
    plans = {plan.household_id: plan for plan in db.session.scalars(
        sa.select(VisitPlan).where(VisitPlan.household_id.in_((merged_id, kept_id))))}
    merged, kept = plans.get(merged_id), plans.get(kept_id)
    if merged is None or kept is None:
        return
    visits = [v for v in (kept.last_visit_at, merged.last_visit_at) if v is not None]
    kept.last_visit_at = max(visits) if visits else None
    if kept.caseworker_id is None and kept.organisation_id is None:
        kept.caseworker_id, kept.organisation_id = merged.caseworker_id, merged.organisation_id
    db.session.delete(merged)
    db.session.flush()
