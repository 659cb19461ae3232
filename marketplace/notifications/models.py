"""A notification for one user: what happened, a link, read or not, emailed or not."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db


class Delivery(StrEnum):
    """How a user wants one kind of notice: in the inbox and emailed now, emailed once a day, or not at all."""

    NOW = "now"
    DIGEST = "digest"
    OFF = "off"


class Notification(db.Model):
    """One message to one user. `kind` and `params` are rendered in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    object_type: Mapped[str] = mapped_column(sa.String(20), default="")
    object_id: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    # How many objects a digest covers ("7 needs in your region turned red").
    count: Mapped[int] = mapped_column(default=1, server_default="1")
    params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Chosen when the notice is made (the reader's preference then): emailed at once or in the daily digest.
    delivery: Mapped[str] = mapped_column(sa.String(10), default=Delivery.NOW, server_default=Delivery.NOW.value)

    __table_args__ = (
        sa.Index("ix_notifications_inbox", "user_id", "read_at", "id"),
        sa.Index("ix_notifications_outbox", "emailed_at", "id"),
        # 'off' is never stored: a notice the reader turned off is not made at all.
        sa.CheckConstraint("delivery IN ('now', 'digest')", name="delivery"),
    )


class NotificationPreference(db.Model):
    """One user's choice for one kind of notice; no row means the kind's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    delivery: Mapped[str] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    __table_args__ = (enum_check("delivery", Delivery),)
