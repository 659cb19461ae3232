"""The leader lease: one conditional UPDATE takes or renews it, so only one process runs jobs.

Works the same on PostgreSQL (a blocked UPDATE re-checks its WHERE after the other commits) and
SQLite (writers are serialized). A holder that dies simply stops renewing; once `expires_at`
passes, the next process to ask takes over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.scheduler.models import SchedulerLease
from marketplace.unit_of_work import transaction

NAME = "scheduler"


def hold(holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take the lease if it is free or expired, renew it if we hold it; True if we hold it now.

    A unit of work of its own: the lease must be visible to other processes at once.
    """
    with transaction():
        return _take(holder, now, ttl)


def _take(holder: str, now: datetime, ttl: timedelta) -> bool:
    taken = db.session.execute(
        sa.update(SchedulerLease)
        .where(SchedulerLease.name == NAME,
               sa.or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not taken and db.session.get(SchedulerLease, NAME) is None:
        try:
            with db.session.begin_nested():
                db.session.add(SchedulerLease(name=NAME, holder=holder, expires_at=now + ttl))
            taken = True
        except IntegrityError:  # another process created it first
            taken = False
    return taken


def release(holder: str) -> None:
    """Give the lease up at a clean shutdown so another process need not wait for it to expire."""
    with transaction():
        db.session.execute(sa.delete(SchedulerLease).where(SchedulerLease.name == NAME,
                                                           SchedulerLease.holder == holder))


def current_holder(now: datetime) -> str | None:
    """Who holds an unexpired lease, if anyone."""
    lease = db.session.get(SchedulerLease, NAME)
    return lease.holder if lease is not None and lease.expires_at >= now else None
