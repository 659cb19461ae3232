"""New red lights become notifications, set-based: claimers hear of their needs, staff get a digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.lights.models import LightChange
from marketplace.needs.models import Claim, Need
from marketplace.notifications import service as notices

RED_KINDS = ("need_red", "needs_red_digest")


def _newly_red(batch: int, key: int, kind: str | None = None) -> Any:
    """History rows of this recompute run (ids above `batch`, written under `key`) that turned red,
    of one kind of object or of any."""
    of_kind = () if kind is None else (LightChange.object_type == kind,)
    return sa.and_(LightChange.id > batch, LightChange.batch == key, LightChange.new_light == "red", *of_kind)


def notify_new_reds(batch: int, key: int, now: datetime) -> int:
    """Claiming organisations hear of each of their needs turning red; region staff get one digest.

    A digest keeps a mass change (a new threshold, a long outage) from flooding inboxes. Readers who
    turned a kind off get none (notifications/service.notify_from).
    """
    if db.session.scalar(sa.select(LightChange.id).where(_newly_red(batch, key)).limit(1)) is None:
        return 0  # most runs (every transition's refresh) turn nothing red: three INSERT … SELECTs saved
    # Each query starts from this run's history rows (a primary-key range), the smallest side.
    members = (
        sa.select(User.id.label("user_id"), Need.id.label("object_id"))
        .select_from(LightChange)
        .join(Need, LightChange.object_id == Need.id)
        .join(User, Need.claimed_by_id == User.organisation_id)
        .where(_newly_red(batch, key, "need"), User.role == Role.ORG_MEMBER, User.is_enabled.is_(True))
    )
    # A need held in parts has no single claimer: each organisation hears of its own part turning red.
    part_members = (
        sa.select(User.id.label("user_id"), Need.id.label("object_id"))
        .select_from(LightChange)
        .join(Claim, LightChange.object_id == Claim.id)
        .join(Need, Need.id == Claim.need_id)
        .join(User, Claim.organisation_id == User.organisation_id)
        .where(_newly_red(batch, key, "claim"), Need.claimed_by_id.is_(None), User.role == Role.ORG_MEMBER,
               User.is_enabled.is_(True))
    )
    staff = (
        sa.select(User.id.label("user_id"), sa.func.count().label("count"))
        .select_from(LightChange)
        .join(Need, LightChange.object_id == Need.id)
        .join(User, sa.or_(User.region_code == Need.district_code, User.region_code == Need.street_code))
        .where(_newly_red(batch, key, "need"), User.role == Role.STAFF, User.is_enabled.is_(True))
        .group_by(User.id)
    )
    return (notices.notify_from("need_red", members, object_type="needs", now=now)
            + notices.notify_from("need_red", part_members, object_type="needs", now=now)
            + notices.notify_from("needs_red_digest", staff, object_type="needs", now=now))
