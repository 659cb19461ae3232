"""Telling a caseworker that a household they visit is now overdue: once per missed visit, set-based."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications import service as notices
from marketplace.visits import plans
from marketplace.visits.models import VisitPlan


def notify_overdue(now: datetime) -> dict[str, Any]:
    """Plans whose visit went overdue since the caseworker last heard: stamp them, then one notice each.

    The stamp is one conditional UPDATE … RETURNING, so two runs at once tell each caseworker once;
    a visit recorded later moves `last_visit_at` past the stamp, and the next miss is told again.
    """
    synced = plans.sync(now)
    cut = plans.Cutoffs.at(now)
    stamped = db.session.execute(
        sa.update(VisitPlan)
        .where(VisitPlan.caseworker_id.is_not(None), cut.overdue(),
               sa.or_(VisitPlan.overdue_noticed_at.is_(None), VisitPlan.overdue_noticed_at < plans.seen_since()))
        .values(overdue_noticed_at=now)
        .returning(VisitPlan.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    sent = 0
    for start in range(0, len(stamped), 5000):
        ids = stamped[start:start + 5000]
        recipients = (
            sa.select(VisitPlan.caseworker_id.label("user_id"), VisitPlan.household_id.label("object_id"),
                      notices.json_params(household=VisitPlan.household_id).label("params"))
            .join(User, User.id == VisitPlan.caseworker_id)
            .where(VisitPlan.id.in_(ids), User.is_enabled.is_(True))
        )
        sent += notices.notify_from("visit_overdue", recipients, object_type="households", now=now)
    return {**synced, "notified": sent}
