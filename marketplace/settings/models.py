"""One row per setting an admin changed; absent keys take their default."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db


class Setting(db.Model):
    """An admin-chosen value overriding a default."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
