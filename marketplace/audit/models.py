"""Audit events. Rows are only ever inserted: the session refuses updates and deletes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db


class AuditEvent(db.Model):
    """One recorded action: who, when, what, on which object, state before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True, default=None)
    # A readable actor even for machines and the anonymous ("api:source", "system", "anonymous").
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="")
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[str] = mapped_column(sa.String(64), default="")
    # The region the object belongs to, so staff see only their region's trail.
    region_code: Mapped[str | None] = mapped_column(sa.String(12), index=True, default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    """Keep the audit trail append-only at the ORM level."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("audit events are append-only")
