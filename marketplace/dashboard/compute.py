"""Computing every region's dashboard figures in a few grouped scans (a scheduler job).

Figures over a million needs (medians, weekly trends) cost seconds, far over a page's budget, so
the scheduler computes them for every district and street at once and the page reads one row.
Counts are grouped in SQL; medians are taken in Python from one ordered fetch, as SQLite has no
percentile function.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.clock import local_date
from marketplace.dashboard.models import RegionStats
from marketplace.extensions import db
from marketplace.leaderboards.periods import midnight, previous_start, start_of
from marketplace.needs.models import OPEN_STATUSES, Claim, Need

ALL = "all"
WEEKS = 12


def _empty() -> dict[str, Any]:
    return {"by_light": {}, "by_status": {}, "by_category": {}, "opened": [0] * WEEKS, "closed": [0] * WEEKS,
            "closed_by_month": {}, "median_days_to_claim": None, "median_days_to_close": None}


def week_edges(now: datetime) -> list[datetime]:
    """The 13 midnights bounding the last 12 weeks (Monday to Monday, Guangzhou time)."""
    this_week = start_of("week", local_date(now))
    first = this_week - timedelta(weeks=WEEKS - 1)
    return [midnight(first + timedelta(weeks=i)) for i in range(WEEKS + 1)]


def week_starts(now: datetime) -> list[date]:
    """The Mondays (Guangzhou dates) of the last 12 weeks, oldest first: the trend's labels."""
    return [edge.date() for edge in week_edges(now)[:-1]]


def month_key(day: date) -> str:
    """How a month is named in the stored figures ("2026-11")."""
    return f"{day.year:04d}-{day.month:02d}"


def _months(now: datetime) -> list[tuple[str, datetime, datetime]]:
    """Last month and this month (Guangzhou), as (key, start, end): the home page's "closed" figures."""
    this = start_of("month", local_date(now))
    last = previous_start("month", this)
    following = (this + timedelta(days=32)).replace(day=1)
    return [(month_key(last), midnight(last), midnight(this)), (month_key(this), midnight(this), midnight(following))]


def _grouped(stats: dict[str, dict[str, Any]], key: str, column: Any, where: Any = None) -> None:
    """Counts by (district, street, column value) added to each region and to the city."""
    query = (sa.select(Need.district_code, Need.street_code, column, sa.func.count())
             .where(where if where is not None else sa.true())
             .group_by(Need.district_code, Need.street_code, column))
    for district, street, value, count in db.session.execute(query):
        for region in filter(None, (ALL, district, street)):
            bucket = stats[region][key]
            name = str(value)
            bucket[name] = bucket.get(name, 0) + count


def _count_between(column: Any, start: datetime, end: datetime) -> Any:
    return sa.func.sum(sa.case((sa.and_(column >= start, column < end), 1), else_=0))


def _trend(stats: dict[str, dict[str, Any]], now: datetime) -> None:
    """Needs published and closed in each of the last 12 weeks, and closed last and this month, in one scan."""
    edges = week_edges(now)
    months = _months(now)
    # Last month began at most 62 days ago, the 12 weeks at least 77: the WHERE below covers both.
    columns = []
    for start, end in zip(edges, edges[1:], strict=False):
        for column in (Need.published_at, Need.closed_at):
            columns.append(_count_between(column, start, end))
    columns += [_count_between(Need.closed_at, start, end) for _, start, end in months]
    query = (sa.select(Need.district_code, Need.street_code, *columns)
             .where(sa.or_(Need.published_at >= edges[0], Need.closed_at >= edges[0]))
             .group_by(Need.district_code, Need.street_code))
    for district, street, *sums in db.session.execute(query):
        for region in filter(None, (ALL, district, street)):
            for i in range(WEEKS):
                stats[region]["opened"][i] += int(sums[2 * i] or 0)
                stats[region]["closed"][i] += int(sums[2 * i + 1] or 0)
            by_month = stats[region]["closed_by_month"]
            for (key, _, _), count in zip(months, sums[2 * WEEKS:], strict=True):
                by_month[key] = by_month.get(key, 0) + int(count or 0)


def _medians(stats: dict[str, dict[str, Any]], now: datetime) -> None:
    """Median days from publication to first claim and to closure, over the last year."""
    first_claim = (sa.select(Claim.need_id, sa.func.min(Claim.created_at).label("at"))
                   .group_by(Claim.need_id).subquery())
    query = (sa.select(Need.district_code, Need.street_code, Need.published_at, first_claim.c.at, Need.closed_at)
             .join(first_claim, first_claim.c.need_id == Need.id)
             .where(Need.published_at >= now - timedelta(days=365)))
    to_claim: dict[str, list[float]] = defaultdict(list)
    to_close: dict[str, list[float]] = defaultdict(list)
    for district, street, published, claimed, closed in db.session.execute(query):
        for region in filter(None, (ALL, district, street)):
            to_claim[region].append((claimed - published).total_seconds() / 86400)
            if closed is not None:
                to_close[region].append((closed - published).total_seconds() / 86400)
    for region, values in to_claim.items():
        stats[region]["median_days_to_claim"] = round(statistics.median(values), 1)
    for region, values in to_close.items():
        stats[region]["median_days_to_close"] = round(statistics.median(values), 1)


def compute_all(now: datetime) -> int:
    """Recompute and store the figures of every region that has needs, and of the city."""
    stats: dict[str, dict[str, Any]] = defaultdict(_empty)
    stats[ALL]  # the city row exists even before the first need
    _grouped(stats, "by_light", Need.light, Need.status.in_(OPEN_STATUSES))
    _grouped(stats, "by_status", Need.status)
    _grouped(stats, "by_category", Need.category)
    _trend(stats, now)
    _medians(stats, now)
    existing = {row.region_code: row for row in db.session.scalars(sa.select(RegionStats))}
    for region, data in stats.items():
        row = existing.get(region) or RegionStats(region_code=region)
        row.computed_at, row.data = now, data
        db.session.add(row)
    db.session.flush()
    return len(stats)


def closure_rate(data: dict[str, Any]) -> float | None:
    """Closed needs as a share of all needs that were ever offered to organisations."""
    by_status = data.get("by_status", {})
    offered = sum(by_status.get(s, 0) for s in ("published", "claimed", "delivered", "closed", "expired"))
    return round(100 * by_status.get("closed", 0) / offered, 1) if offered else None
