"""Password-reset links: only a keyed hash of each link's token is kept, with its expiry and use."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.db import UTCDateTime
from marketplace.extensions import db


class PasswordReset(db.Model):
    """One emailed reset link. Used once (`used_at`), dead after `expires_at`, or when any link of
    the account is used or its password changes (then `used_at` is set on all its open links)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # HMAC-SHA256 of the token with HASH_KEY: a copy of the table opens no account.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The admin who sent it; None when the owner asked on the "forgot password" page.
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
