"""API sources (the systems that refer needs by machine) and their keys."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db

# The contract promises at least 100 requests per 10 s; the default leaves a client some headroom.
DEFAULT_RATE_LIMIT = 120
MIN_RATE_LIMIT = 100
RATE_WINDOW_SECONDS = 10


class ApiSource(db.Model):
    """A source system; its name is the `source` of every referral it sends."""

    __tablename__ = "api_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    # Requests allowed per RATE_WINDOW_SECONDS, per key; an admin may raise it.
    rate_limit: Mapped[int] = mapped_column(default=DEFAULT_RATE_LIMIT)
    request_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    error_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="source", order_by="ApiKey.id")


class ApiKey(db.Model):
    """A key of a source. Only its SHA-256 and a short prefix (to find the row) are kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("api_sources.id"), index=True)
    prefix: Mapped[str] = mapped_column(sa.String(16), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    source: Mapped[ApiSource] = relationship(back_populates="keys")

    @property
    def is_active(self) -> bool:
        """Whether requests may still use this key."""
        return self.revoked_at is None
