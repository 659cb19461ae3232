"""Making notices (set-based, for the features that notify), listing and reading them, and preferences.

The features call `notify_users`, `notify_organisation`, `notify_region_staff` for one event, or
`notify_from` with a SELECT of recipients for many at once; each is one INSERT … SELECT that skips
readers who turned the kind off and stamps the others' choice (now or digest) on the notice. They
only execute within the caller's unit of work, which commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts.models import Role, User
from marketplace.db import json_object
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.notifications import kinds
from marketplace.notifications.models import Delivery, Notification, NotificationPreference
from marketplace.paging import Cursor, Page, paginate

COLUMNS = ["user_id", "kind", "object_type", "object_id", "count", "params", "created_at", "delivery"]


class PreferenceError(DomainError):
    """A preference that cannot be set."""


def _kind(code: str) -> kinds.Kind:
    kind = kinds.get(code)
    if kind is None:
        raise ValueError(f"unknown notice kind {code!r}: add it to notifications/kinds.py")
    return kind


def json_params(**values: Any) -> Any:
    """A JSON object built in SQL from columns, for params that differ row by row (`notify_from`)."""
    return json_object(db.session, **values)


def notify_from(code: str, recipients: sa.Select, *, object_type: str = "", object_id: int | None = None,
                params: Mapping[str, Any] | None = None, now: datetime | None = None) -> int:
    """One notice of kind `code` per row of `recipients` (a SELECT with a `user_id` column, and optionally
    `object_id`, `count` and `params` columns that override the arguments row by row); readers who turned
    the kind off get none. Returns how many notices were made."""
    kind = _kind(code)
    rows = recipients.subquery("recipients")
    c = rows.c
    at = sa.literal(now or clock.now(), Notification.created_at.type)
    fixed_params = sa.literal(dict(params), sa.JSON) if params is not None else sa.cast(sa.null(), sa.JSON)
    choice = sa.func.coalesce(NotificationPreference.delivery, kind.default.value)
    select = (
        sa.select(
            c.user_id, sa.literal(code), sa.literal(object_type),
            c.object_id if "object_id" in c else sa.literal(object_id, sa.BigInteger),
            c.count if "count" in c else sa.literal(1),
            c.params if "params" in c else fixed_params,
            at, choice,
        )
        .select_from(rows)
        .outerjoin(NotificationPreference, sa.and_(NotificationPreference.user_id == c.user_id,
                                                   NotificationPreference.kind == code))
        .where(choice != Delivery.OFF.value)
    )
    insert = sa.insert(Notification.__table__).from_select(COLUMNS, select)
    # SQLAlchemy reads an INSERT's row count only when asked to keep it (UPDATE and DELETE always).
    return db.session.execute(insert.execution_options(preserve_rowcount=True)).rowcount


def notify_users(user_ids: Iterable[int], code: str, object_type: str = "", object_id: int | None = None,
                 params: Mapping[str, Any] | None = None) -> int:
    """Notify these (enabled) users of one event."""
    ids = list(user_ids)
    if not ids:
        return 0
    recipients = sa.select(User.id.label("user_id")).where(User.id.in_(ids), User.is_enabled.is_(True))
    return notify_from(code, recipients, object_type=object_type, object_id=object_id, params=params)


def organisation_members(org_id: int) -> sa.Select:
    """The enabled member accounts of an organisation (outlet staff only redeem meals: not them)."""
    return sa.select(User.id.label("user_id")).where(
        User.organisation_id == org_id, User.role == Role.ORG_MEMBER, User.is_enabled.is_(True))


def notify_organisation(org_id: int | None, code: str, object_type: str = "", object_id: int | None = None,
                        params: Mapping[str, Any] | None = None) -> int:
    """Notify an organisation's enabled members of one event."""
    if org_id is None:
        return 0
    return notify_from(code, organisation_members(org_id), object_type=object_type, object_id=object_id,
                       params=params)


def region_staff(district_code: str, street_code: str | None) -> sa.Select:
    """The enabled staff whose region covers a place: its district's staff and its street's (accounts/scope)."""
    codes = [district_code, street_code] if street_code else [district_code]
    return sa.select(User.id.label("user_id")).where(
        User.role == Role.STAFF, User.is_enabled.is_(True), User.region_code.in_(codes))


def notify_region_staff(district_code: str, street_code: str | None, code: str, object_type: str = "",
                        object_id: int | None = None, params: Mapping[str, Any] | None = None) -> int:
    """Notify the enabled staff whose region covers this district and street of one event."""
    return notify_from(code, region_staff(district_code, street_code), object_type=object_type,
                       object_id=object_id, params=params)


# --- reading -------------------------------------------------------------------------------------

def unread_count(user: User) -> int:
    """How many unread notifications the bell shows."""
    query = sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return db.session.scalar(query) or 0


def inbox(user: User, *, cursor: Cursor | None = None) -> Page:
    """A user's notifications, newest first, paged."""
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return paginate(query, per_page=30, cursor=cursor)


def mark_read(user: User, *, notification_id: int | None, now: datetime) -> int:
    """Mark one (or, with None, all) of the user's notifications read; others' are untouchable."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=now)).rowcount


# --- preferences ---------------------------------------------------------------------------------

def preferences(user: User) -> dict[str, Delivery]:
    """The user's choice for each kind of notice meant for them (the kind's default where they chose none)."""
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.delivery)
        .where(NotificationPreference.user_id == user.id)).all())
    return {kind.code: Delivery(chosen.get(kind.code, kind.default)) for kind in kinds.for_user(user)}


def set_preferences(user: User, choices: Mapping[str, str]) -> None:
    """Store the user's choices, one per kind meant for them; a kind not meant for them is refused."""
    offered = {kind.code for kind in kinds.for_user(user)}
    for code, value in choices.items():
        if code not in offered or value not in set(Delivery):
            raise PreferenceError(_l("choose one of the offered ways for each kind of notice"))
        row = db.session.get(NotificationPreference, (user.id, code))
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=code, delivery=value))
        else:
            row.delivery = value
    db.session.flush()
