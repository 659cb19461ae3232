"""Published leaderboard snapshots and their entries. Once written, never changed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db

BOARDS = ("company", "charity", "project", "donor")
PERIODS = ("week", "month", "year")


class LeaderboardSnapshot(db.Model):
    """The ranking of one board for one closed period (Asia/Shanghai calendar)."""

    __tablename__ = "leaderboard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(sa.String(10))
    period: Mapped[str] = mapped_column(sa.String(6))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    entries: Mapped[list[LeaderboardEntry]] = relationship(order_by="LeaderboardEntry.rank")

    __table_args__ = (
        sa.UniqueConstraint("board", "period", "period_start", name="uq_leaderboard_snapshots_period"),
    )


class LeaderboardEntry(db.Model):
    """One ranked participant of a snapshot, with the figures its points came from."""

    __tablename__ = "leaderboard_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("leaderboard_snapshots.id"), index=True)
    rank: Mapped[int]
    participant_id: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100))
    points: Mapped[int] = mapped_column(sa.BigInteger)
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)


class SnapshotImmutable(RuntimeError):
    """Raised when code tries to change a published snapshot."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_snapshot_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    """A published ranking is a public record: it is never rewritten."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, LeaderboardSnapshot | LeaderboardEntry) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise SnapshotImmutable("published leaderboard snapshots never change")
