"""The leader lease and the record of every job run (one per job and tick)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime
from marketplace.extensions import db


class SchedulerLease(db.Model):
    """Who may run jobs until when. Taken or renewed by one conditional UPDATE."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(db.Model):
    """One run of one job for one tick; the unique key makes a second run of a tick impossible."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(40))
    tick: Mapped[str] = mapped_column(sa.String(40))
    holder: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)

    __table_args__ = (sa.UniqueConstraint("job_id", "tick", name="uq_job_runs_job_id_tick"),)
