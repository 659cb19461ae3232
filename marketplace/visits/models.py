"""Visit plans (how often a household is visited and by whom), visit records, and follow-ups.

Every table here points at its household by a plain `household_id` foreign key (or through its
need), so merging two households moves these rows with an UPDATE of that column.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.households.models import Household
    from marketplace.needs.models import Need
    from marketplace.organisations.models import Organisation


class VisitPlan(db.Model):
    """One household's visit schedule: every `interval_days` (0: none required), by whom.

    The interval comes from the household's category and group (admin settings) and is kept in
    step by `plans.sync`; `last_visit_at` moves with each visit recorded.
    """

    __tablename__ = "visit_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), unique=True)
    interval_days: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    # Either a caseworker (a staff account of the household's region) or a social-work project.
    caseworker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True, default=None)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True, default=None)
    # The clock of the first visit starts when the household came on file.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the caseworker was last told this visit is overdue (once per missed visit).
    overdue_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    household: Mapped[Household] = relationship()
    caseworker: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("caseworker_id IS NULL OR organisation_id IS NULL", name="one_assignee"),
        sa.CheckConstraint("interval_days >= 0", name="interval_days"),
    )

    @property
    def seen_since(self) -> datetime:
        """The moment the next visit counts from: the last visit, else when the plan began."""
        return self.last_visit_at or self.started_at


class Visit(db.Model):
    """One visit to a household: when, who went, whether they met the household, what they saw."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visitors: Mapped[str] = mapped_column(sa.String(200))
    met: Mapped[bool] = mapped_column()
    seen: Mapped[str] = mapped_column(sa.Text, default="")
    # The draft need the visit found, made in the same step.
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id"), default=None)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    household: Mapped[Household] = relationship()
    need: Mapped[Need | None] = relationship()
    recorded_by: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_visits_household_id_visited_at", "household_id", "visited_at"),)


class FollowUp(db.Model):
    """The follow-up call or visit after a need closed: reached, solved, satisfaction 1–5 (one per need)."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), unique=True)
    reached: Mapped[bool] = mapped_column()
    solved: Mapped[bool | None] = mapped_column(default=None)
    satisfaction: Mapped[int | None] = mapped_column(sa.SmallInteger, default=None)
    comments: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    need: Mapped[Need] = relationship()
    recorded_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),
    )
