"""Writing and reading the audit log; every feature records its state changes here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.db import declare_write, insert_rows
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.paging import Cursor, Page, paginate


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "anonymous"
    return getattr(actor, "email", None) or str(actor)


def request_ip() -> str:
    """The client's address as audit rows keep it ("" outside a request)."""
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    region_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction (it commits or rolls back with it).

    `actor` defaults to the signed-in user of the current request; `obj` fills the object's type
    and id from a model instance.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or getattr(obj, "id", "") or getattr(obj, "code", "")
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or _actor_label(actor),
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        before=before,
        after=after,
        ip=request_ip(),
    )
    db.session.add(event)
    return event


def record_many(action: str, objects: Iterable[tuple[Any, str | None, dict[str, Any] | None]], *,
                object_type: str, actor: Any = None, actor_label: str | None = None) -> None:
    """Like `record`, for one action on many objects at once: one multi-row INSERT, no ORM objects.

    `objects` holds (object id, region code, after) per object; the rows are in the caller's transaction.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    common = {"action": action, "actor_id": getattr(actor, "id", None),
              "actor_label": actor_label or _actor_label(actor), "object_type": object_type,
              "before": None, "ip": request_ip(), "at": clock.now()}
    rows = [{**common, "object_id": str(object_id), "region_code": region_code, "after": after}
            for object_id, region_code, after in objects]
    insert_rows(db.session, AuditEvent.__table__, rows)


_users = sa.table("users", sa.column("id"), sa.column("email"))
# The actor's label (the e-mail address, as `record` writes it) is looked up by the INSERT itself.
_INSERT_BY_ID = AuditEvent.__table__.insert().values(
    actor_id=sa.bindparam("b_actor"),
    actor_label=sa.select(_users.c.email).where(_users.c.id == sa.bindparam("b_actor")).scalar_subquery(),
)


def record_now(
    action: str,
    *,
    actor_id: int,
    object_type: str = "",
    object_id: Any = "",
    after: dict[str, Any] | None = None,
) -> None:
    """Like `record`, for an actor known only by id, written at once by one INSERT.

    For a hot path (a meal redemption): no ORM object, no unit of work, no look-up of the actor first.
    The row is in the caller's transaction all the same.
    """
    db.session.connection().execute(_INSERT_BY_ID, {
        "action": action, "b_actor": actor_id, "object_type": object_type, "object_id": str(object_id),
        "after": after, "ip": request_ip(),
    })


@dataclass
class AuditFilter:
    """What an admin narrows the audit log by: choices from the page's selects, and days in Guangzhou."""

    action: str = ""  # an action name, or a group of them ("need.")
    actor_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    region_code: str = ""  # a district (with its streets) or a street
    since: date | None = None
    until: date | None = None  # the last day included

    def details(self) -> dict[str, Any]:
        """The filters that are set, as an export's audit row keeps them."""
        values = {"action": self.action, "actor_id": self.actor_id, "object_type": self.object_type,
                  "object_id": self.object_id, "region_code": self.region_code,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None}
        return {key: value for key, value in values.items() if value}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)


def _matching(f: AuditFilter) -> Any:
    """The events matching the filter, newest first."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if f.action.endswith("."):
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    elif f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.actor_id:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.object_type:
        query = query.where(AuditEvent.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEvent.object_id == f.object_id)
    if f.region_code:
        # A district's streets carry its code as their prefix (regions/service.py checks it on import).
        query = query.where(AuditEvent.region_code.startswith(f.region_code, autoescape=True))
    if f.since:
        query = query.where(AuditEvent.at >= _day_start(f.since))
    if f.until:
        query = query.where(AuditEvent.at < _day_start(f.until + timedelta(days=1)))
    return query


def search(f: AuditFilter, *, cursor: Cursor | None = None, per_page: int = 50) -> Page:
    """A page of audit events matching the filter, newest first."""
    return paginate(_matching(f), per_page=per_page, cursor=cursor)


def recorded(column: Any) -> list[str]:
    """The distinct values the log holds in one column (`AuditEvent.action`, `.object_type`)."""
    return [v for v in db.session.scalars(sa.select(column).distinct().order_by(column)) if v]


class ExportTooLarge(DomainError):
    """More events match than one file holds."""


EXPORT_LIMIT = 20_000
ADMIN_ROLE = "admin"  # accounts.models.Role.ADMIN (accounts writes audit rows, so it is not imported here)


def export(f: AuditFilter, *, actor: Any) -> list[AuditEvent]:
    """Every event matching the filter, newest first, for an admin's file; the export is itself recorded."""
    if getattr(actor, "role", None) != ADMIN_ROLE:
        raise PermissionError("only admins export the audit log")
    declare_write()  # a GET that writes its own audit row
    count = db.session.scalar(sa.select(sa.func.count()).select_from(_matching(f).order_by(None).subquery()))
    if count > EXPORT_LIMIT:
        raise ExportTooLarge(_l("%(count)s events match; an export holds at most %(limit)s: narrow the filters.",
                                count=count, limit=EXPORT_LIMIT))
    events = list(db.session.scalars(_matching(f)))
    record("audit.export", actor=actor, object_type="audit_events", after={"rows": len(events), **f.details()})
    return events


def history(object_type: str, object_id: Any) -> list[AuditEvent]:
    """Every event about one object, oldest first."""
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(query))
