"""The history of light changes: one narrow row per object whose light changed in a recompute."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.taxonomy import LIGHT_LABELS  # noqa: F401  (the words live with the other labels)


class LightChange(db.Model):
    """A light that changed: which object, from what to what, in which recompute batch."""

    __tablename__ = "light_changes"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    # The run that wrote this row: the periodic run's highest history id before it (its rows follow
    # it), or a transition's refresh's own negative key (lights/live.py).
    batch: Mapped[int] = mapped_column(sa.BigInteger)
    object_type: Mapped[str] = mapped_column(sa.String(12))
    object_id: Mapped[int] = mapped_column(sa.BigInteger)
    old_light: Mapped[str | None] = mapped_column(sa.String(6))
    new_light: Mapped[str | None] = mapped_column(sa.String(6))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # By object only: a run finds its own rows by primary-key range, and an index led by the type
    # would tempt the planner away from that range.
    __table_args__ = (sa.Index("ix_light_changes_object", "object_id"),)
