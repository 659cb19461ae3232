"""Redeemed meals on the company leaderboard: one point per meal redeemed in the period."""

from __future__ import annotations

from datetime import datetime

from marketplace.leaderboards.points import Row, register_source
from marketplace.meals.reports import redeemed_meals_by_company


def redeemed_meals(board: str, start: datetime, end: datetime) -> list[Row]:
    """Companies' redeemed meals (only companies run outlets, so other boards get nothing)."""
    if board != "company":
        return []
    return [(org_id, count, count, last) for org_id, count, last in redeemed_meals_by_company(start, end)]


register_source("meals", redeemed_meals)
