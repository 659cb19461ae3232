"""The home page's live figures, each read in one cheap query (the page runs them on every view).

Needs closed this month come from the dashboard's precomputed city row (one primary-key read,
recomputed by the scheduler every five minutes): counting closed needs live would walk every
closed need ever, as no index leads with `closed_at`. Meals served sum the per-outlet-day counters
(`meal_days.redeemed`, one row per outlet and day, moved in the same transaction as each voucher)
instead of counting redeemed vouchers. Homes repaired count accepted renovation projects, a table of
hundreds (one per renovated home), as do organisations and districts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.clock import local_date
from marketplace.dashboard import queries as dashboard
from marketplace.dashboard.compute import month_key
from marketplace.extensions import db
from marketplace.leaderboards.periods import previous_start, start_of
from marketplace.meals import reports as meal_reports
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.projects.models import Milestone, Project
from marketplace.regions.models import DISTRICT, Region


def _count(*where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(*where)) or 0


def live_figures(now: datetime) -> dict[str, int | None]:
    """Needs closed this month and last month (None before the first recompute), meals served,
    homes repaired, approved organisations and districts served."""
    this_month = start_of("month", local_date(now))
    closed = dashboard.closed_by_month()
    last = previous_start("month", this_month)
    return {
        "closed_this_month": None if closed is None else closed.get(month_key(this_month), 0),
        "closed_last_month": None if closed is None else closed.get(month_key(last), 0),
        "meals": meal_reports.meals_served(),
        "homes": _count(Project.milestone == Milestone.ACCEPTED),
        "organisations": _count(Organisation.status == OrgStatus.APPROVED),
        "districts": _count(Region.level == DISTRICT),
    }
