"""New red lights become notifications, set-based: claimers hear of their needs, staff get a digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.lights.models import LightChange
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification

COLUMNS = ["user_id", "kind", "object_type", "object_id", "count", "created_at"]
RED_KINDS = ("need_red", "needs_red_digest")


def _newly_red(batch: int, key: int, kind: str) -> Any:
    """History rows of this recompute run (ids above `batch`, written under `key`) that turned red."""
    return sa.and_(LightChange.id > batch, LightChange.batch == key, LightChange.object_type == kind,
                   LightChange.new_light == "red")


def notify_new_reds(batch: int, key: int, now: datetime) -> int:
    """Claiming organisations hear of each of their needs turning red; region staff get one digest.

    A digest keeps a mass change (a new threshold, a long outage) from flooding inboxes.
    """
    at = sa.literal(now, Notification.created_at.type)
    # Each query starts from this run's history rows (a primary-key range), the smallest side.
    members = (
        sa.select(User.id, sa.literal("need_red"), sa.literal("needs"), Need.id, sa.literal(1), at)
        .select_from(LightChange)
        .join(Need, LightChange.object_id == Need.id)
        .join(User, Need.claimed_by_id == User.organisation_id)
        .where(_newly_red(batch, key, "need"), User.role == Role.ORG_MEMBER, User.is_enabled.is_(True))
    )
    staff = (
        sa.select(User.id, sa.literal("needs_red_digest"), sa.literal("needs"), sa.null(), sa.func.count(), at)
        .select_from(LightChange)
        .join(Need, LightChange.object_id == Need.id)
        .join(User, sa.or_(User.region_code == Need.district_code, User.region_code == Need.street_code))
        .where(_newly_red(batch, key, "need"), User.role == Role.STAFF, User.is_enabled.is_(True))
        .group_by(User.id)
    )
    for select in (members, staff):
        db.session.execute(sa.insert(Notification.__table__).from_select(COLUMNS, select))
    created = sa.select(sa.func.count()).where(Notification.created_at == now, Notification.kind.in_(RED_KINDS))
    return db.session.scalar(created) or 0
