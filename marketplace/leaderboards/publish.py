"""Publishing snapshots at each period's close, and reading them back."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.clock import local_date
from marketplace.extensions import db
from marketplace.leaderboards import periods, points
from marketplace.leaderboards.models import BOARDS, PERIODS, LeaderboardEntry, LeaderboardSnapshot

BADGE_TOP = 3  # companies in the top three of the latest monthly board carry the 爱心企业 badge


def publish(board: str, period: str, start: date, now: datetime) -> LeaderboardSnapshot | None:
    """Write the snapshot of one closed period once; None if it already exists."""
    end = periods.next_start(period, start)
    ranking = points.rank(board, *periods.bounds(start, end))
    snapshot = LeaderboardSnapshot(board=board, period=period, period_start=start, period_end=end, published_at=now)
    snapshot.entries = [
        LeaderboardEntry(rank=i, participant_id=s.participant_id, name=s.name[:100], points=s.points,
                         details={**(s.details or {}), "contributions": s.contributions})
        for i, s in enumerate(ranking, start=1)
    ]
    try:
        with db.session.begin_nested():
            db.session.add(snapshot)
    except IntegrityError:  # published already (a concurrent or earlier run)
        return None
    return snapshot


def publish_due(now: datetime) -> int:
    """Publish the last closed period of every board and period kind that lacks a snapshot."""
    today = local_date(now)
    published = 0
    for period in PERIODS:
        start = periods.previous_start(period, periods.start_of(period, today))
        done = set(db.session.scalars(
            sa.select(LeaderboardSnapshot.board).where(LeaderboardSnapshot.period == period,
                                                       LeaderboardSnapshot.period_start == start)))
        for board in BOARDS:
            if board not in done and publish(board, period, start, now) is not None:
                published += 1
    return published


def provisional(board: str, period: str, now: datetime) -> list[points.Score]:
    """The ranking of the period still open (shown to staff, never published)."""
    start = periods.start_of(period, local_date(now))
    return points.rank(board, *periods.bounds(start, periods.next_start(period, start)))


def latest(board: str, period: str) -> LeaderboardSnapshot | None:
    """The most recent published snapshot of a board."""
    query = (
        sa.select(LeaderboardSnapshot).where(LeaderboardSnapshot.board == board, LeaderboardSnapshot.period == period)
        .order_by(LeaderboardSnapshot.period_start.desc()).limit(1)
    )
    return db.session.scalar(query)


def badge_holders() -> set[int]:
    """Companies in the top ranks of the latest monthly company board."""
    snapshot = latest("company", "month")
    return {e.participant_id for e in snapshot.entries[:BADGE_TOP]} if snapshot else set()
