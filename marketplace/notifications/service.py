"""Listing and reading notifications (the features that notify insert them set-based)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.paging import paginate


def unread_count(user: User) -> int:
    """How many unread notifications the bell shows."""
    query = sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return db.session.scalar(query) or 0


def inbox(user: User, *, page: int) -> Any:
    """A user's notifications, newest first, paged."""
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return paginate(query, page=page, per_page=30)


def mark_read(user: User, *, notification_id: int | None, now: datetime) -> int:
    """Mark one (or, with None, all) of the user's notifications read; others' are untouchable."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=now)).rowcount
