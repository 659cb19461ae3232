"""An account's second factor: its TOTP secret and its single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db


class SecondFactor(db.Model):
    """A confirmed TOTP secret (one per account) and the time step of the last code it accepted."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, autoincrement=False)
    # Base32, as the authenticator app holds it: codes are computed from it, so it cannot be a hash.
    secret: Mapped[str] = mapped_column(sa.String(64))
    # A code of this 30-second step or an earlier one is refused: a code is good for one sign-in.
    last_used_step: Mapped[int] = mapped_column(default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class RecoveryCode(db.Model):
    """One of an account's recovery codes, kept as a keyed hash; `used_at` is set by its one use."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)
