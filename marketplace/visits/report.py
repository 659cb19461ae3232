"""What the dashboard shows of visits and follow-ups: per sub-region, and satisfaction by category,
organisation and street. Each figure is one grouped query, read live (a few index-backed scans)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.models import Need, NeedStatus
from marketplace.organisations.models import Organisation
from marketplace.regions.models import STREET, Region
from marketplace.visits import followups, plans
from marketplace.visits.models import FollowUp, VisitPlan

ALL = "all"  # the dashboard's code for the whole city


@dataclass
class RegionRow:
    """One sub-region's visits and follow-ups."""

    code: str
    name: str
    planned: int = 0
    overdue: int = 0
    followups_due: int = 0
    followups_done: int = 0
    satisfaction: float | None = None

    @property
    def on_time(self) -> int:
        """Households visited regularly whose visit is not overdue."""
        return self.planned - self.overdue

    @property
    def on_time_rate(self) -> int | None:
        """Per cent of planned visits on time."""
        return round(100 * self.on_time / self.planned) if self.planned else None

    @property
    def done_rate(self) -> int | None:
        """Per cent of follow-ups (due or done) that are done."""
        return round(100 * self.followups_done / self.followups_due) if self.followups_due else None


@dataclass
class Report:
    """The visits part of the dashboard."""

    rows: list[RegionRow] = field(default_factory=list)
    total: RegionRow | None = None
    by_category: list[tuple[str, float, int]] = field(default_factory=list)
    by_organisation: list[tuple[int, str, float, int]] = field(default_factory=list)


def _level(code: str) -> str | None:
    if code == ALL:
        return None
    region = db.session.get(Region, code)
    return region.level if region else None


def _scope(code: str, level: str | None, district: Any, street: Any) -> Any:
    if code == ALL:
        return sa.true()
    return street == code if level == STREET else district == code


def _group(code: str, district: Any, street: Any) -> Any:
    return district if code == ALL else street


def _rounded(value: Any) -> float | None:
    return round(float(value), 2) if value is not None else None


def for_region(code: str, now: datetime) -> Report:
    """Visits on time and follow-ups done per sub-region, and satisfaction by category and organisation."""
    level = _level(code)
    cut = plans.Cutoffs.at(now)
    report = Report()
    rows: dict[str | None, RegionRow] = {}

    def row(key: str | None) -> RegionRow:
        if key not in rows:
            region = db.session.get(Region, key) if key else None
            rows[key] = RegionRow(key or "", region.name if region else "—")
        return rows[key]

    h_group = _group(code, Household.district_code, Household.street_code)
    for key, planned, overdue in db.session.execute(
        sa.select(h_group, sa.func.count(), sa.func.sum(sa.case((cut.overdue(), 1), else_=0)))
        .select_from(VisitPlan).join(Household, Household.id == VisitPlan.household_id)
        .where(VisitPlan.interval_days > 0, _scope(code, level, Household.district_code, Household.street_code))
        .group_by(h_group)
    ):
        r = row(key)
        r.planned, r.overdue = int(planned or 0), int(overdue or 0)

    n_scope = _scope(code, level, Need.district_code, Need.street_code)
    n_group = _group(code, Need.district_code, Need.street_code)
    for key, due, done, satisfaction in db.session.execute(
        sa.select(n_group, sa.func.count(Need.id), sa.func.count(FollowUp.id), sa.func.avg(FollowUp.satisfaction))
        .select_from(Need).outerjoin(FollowUp, FollowUp.need_id == Need.id)
        .where(Need.status == NeedStatus.CLOSED, n_scope,
               sa.or_(Need.closed_at <= followups.due_before(now), FollowUp.id.is_not(None)))
        .group_by(n_group)
    ):
        r = row(key)
        r.followups_due, r.followups_done, r.satisfaction = int(due or 0), int(done or 0), _rounded(satisfaction)

    report.rows = sorted(rows.values(), key=lambda r: r.code)
    total = RegionRow(code, "")
    for r in report.rows:
        total.planned += r.planned
        total.overdue += r.overdue
        total.followups_due += r.followups_due
        total.followups_done += r.followups_done
    total.satisfaction = _rounded(db.session.scalar(
        sa.select(sa.func.avg(FollowUp.satisfaction)).join(Need, FollowUp.need_id == Need.id).where(n_scope)))
    report.total = total

    rated = sa.select(FollowUp).join(Need, FollowUp.need_id == Need.id).where(
        n_scope, FollowUp.satisfaction.is_not(None)).subquery()
    report.by_category = [
        (category, _rounded(avg) or 0.0, int(count)) for category, avg, count in db.session.execute(
            sa.select(Need.category, sa.func.avg(rated.c.satisfaction), sa.func.count())
            .select_from(rated).join(Need, Need.id == rated.c.need_id)
            .group_by(Need.category).order_by(Need.category))
    ]
    report.by_organisation = [
        (org_id, name, _rounded(avg) or 0.0, int(count)) for org_id, name, avg, count in db.session.execute(
            sa.select(Organisation.id, Organisation.name, sa.func.avg(rated.c.satisfaction), sa.func.count())
            .select_from(rated).join(Need, Need.id == rated.c.need_id)
            .join(Organisation, Organisation.id == Need.claimed_by_id)
            .group_by(Organisation.id, Organisation.name).order_by(Organisation.name).limit(100))
    ]
    return report
