"""Recomputing every light in a few set-based statements, writing only the lights that change.

Each run: (1) the changed need lights are inserted into `light_changes` straight from one scan of
the needs, then copied onto the needs with one UPDATE … FROM; (2) households and (3)
organisations follow the same two steps, restricted to those touched by (1) unless a full run is
asked for; (4) new reds become notifications. Rows whose light is unchanged are never written,
which is what keeps a periodic run cheap on PostgreSQL (every UPDATE writes a new row version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.lights import rules
from marketplace.lights.models import LightChange
from marketplace.needs.models import Need
from marketplace.notifications import service as notifications
from marketplace.organisations.models import Organisation


@dataclass
class RecomputeResult:
    """How many lights changed in one run, per kind of object."""

    batch: int
    needs: int = 0
    households: int = 0
    organisations: int = 0
    notified: int = 0
    full: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _stage(batch: int, kind: str, source: Any, object_id: Any, old: Any, new: Any, now: datetime) -> int:
    """Insert (batch, kind, id, old, new) for every row of `source` whose light differs."""
    select = source.with_only_columns(
        sa.literal(batch), sa.literal(kind), object_id, old, new, sa.literal(now, LightChange.changed_at.type)
    ).where(old.is_distinct_from(new))
    columns = ["batch", "object_type", "object_id", "old_light", "new_light", "changed_at"]
    db.session.execute(sa.insert(LightChange.__table__).from_select(columns, select))
    # Counted from the (indexed) batch, as psycopg reports no rowcount for INSERT … SELECT here.
    staged = sa.select(sa.func.count()).where(LightChange.batch == batch, LightChange.object_type == kind)
    return db.session.scalar(staged) or 0


def _apply(batch: int, kind: str, model: Any) -> None:
    """Copy the staged new lights onto their objects (one UPDATE … FROM)."""
    db.session.execute(
        sa.update(model)
        .values(light=LightChange.new_light)
        .where(LightChange.batch == batch, LightChange.object_type == kind, model.id == LightChange.object_id)
        .execution_options(synchronize_session=False)
    )


def _touched(batch: int, column: Any) -> sa.Select:
    """Ids (households or organisations) of the needs whose light changed in this batch."""
    return (
        sa.select(column)
        .join(LightChange, sa.and_(LightChange.object_id == Need.id, LightChange.object_type == "need"))
        .where(LightChange.batch == batch, column.is_not(None))
    )


def _next_batch() -> int:
    return (db.session.scalar(sa.select(sa.func.max(LightChange.batch))) or 0) + 1


def _projects(result: RecomputeResult, t: rules.Thresholds, now: datetime) -> None:
    """Renovation projects: one scan of the open projects, then an UPDATE of those that changed."""
    from marketplace.projects.models import Project
    from marketplace.settings import service as settings

    yellow_until = t.today + timedelta(days=settings.get("light_renovation_yellow_days"))
    new = rules.project_light(t.today, yellow_until)
    result.extra["projects"] = _stage(result.batch, "project", sa.select(Project), Project.id, Project.light, new, now)
    _apply(result.batch, "project", Project)


def recompute(now: datetime, *, full: bool = False) -> RecomputeResult:
    """Bring every light up to date for `now`; idempotent (a second run changes nothing)."""
    t = rules.Thresholds.at(now)
    result = RecomputeResult(batch=_next_batch(), full=full)
    b = result.batch
    result.needs = _stage(b, "need", sa.select(Need), Need.id, Need.light, rules.need_light(t), now)
    _apply(b, "need", Need)

    worst = rules.household_worst(t).subquery()
    households = sa.select(Household).outerjoin(worst, worst.c.household_id == Household.id)
    if not full:
        # Touched by a need whose light changed, or newly past the "waiting without help" limit.
        stale = sa.select(Need.household_id).where(Need.status == "published", Need.published_at <= t.stale_before)
        households = households.where(sa.or_(
            Household.id.in_(_touched(b, Need.household_id)),
            sa.and_(Household.light.is_distinct_from("red"), Household.id.in_(stale)),
        ))
    new = rules.light_of(worst.c.worst)
    result.households = _stage(b, "household", households, Household.id, Household.light, new, now)
    _apply(b, "household", Household)

    org_worst = rules.organisation_worst().subquery()
    orgs = sa.select(Organisation).outerjoin(org_worst, org_worst.c.organisation_id == Organisation.id)
    if not full:
        orgs = orgs.where(Organisation.id.in_(_touched(b, Need.claimed_by_id)))
    new = rules.light_of(org_worst.c.worst)
    result.organisations = _stage(b, "organisation", orgs, Organisation.id, Organisation.light, new, now)
    _apply(b, "organisation", Organisation)

    _projects(result, t, now)
    result.notified = notifications.notify_new_reds(b, now)
    return result
