"""The periodic jobs, each an idempotent function of `now`, and running one tick exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.clock import local_date
from marketplace.extensions import db
from marketplace.scheduler.models import JobRun
from marketplace.unit_of_work import transaction


@dataclass(frozen=True)
class Job:
    """A job: stable id, how often, and what it does."""

    id: str
    every_seconds: int
    run: Callable[[datetime], dict[str, Any]]


def _lights(now: datetime) -> dict[str, Any]:
    from marketplace.lights.recompute import recompute

    r = recompute(now)
    return {"needs": r.needs, "households": r.households, "organisations": r.organisations, "notified": r.notified}


def _lights_full(now: datetime) -> dict[str, Any]:
    from marketplace.lights.recompute import recompute

    r = recompute(now, full=True)
    return {"needs": r.needs, "households": r.households, "organisations": r.organisations, "notified": r.notified}


def _expire_needs(now: datetime) -> dict[str, Any]:
    from marketplace.needs.transitions import expire_overdue, settle_overdue_parts

    today = local_date(now)
    return {"expired": expire_overdue(today), "settled": settle_overdue_parts(today)}


def _expire_vouchers(now: datetime) -> dict[str, Any]:
    from marketplace.meals.vouchers import expire_vouchers

    return {"expired": expire_vouchers(now)}


def _transfers_overdue(now: datetime) -> dict[str, Any]:
    from marketplace.transfers.service import mark_overdue

    return {"overdue": mark_overdue(now)}


def _leaderboards(now: datetime) -> dict[str, Any]:
    from marketplace.leaderboards.publish import publish_due

    return {"published": publish_due(now)}


def _emails(now: datetime) -> dict[str, Any]:
    from marketplace.notifications.mail import send_pending

    return {"sent": send_pending(now)}


def _digests(now: datetime) -> dict[str, Any]:
    from marketplace.notifications.mail import send_digests

    return {"sent": send_digests(now)}


def _due_soon(now: datetime) -> dict[str, Any]:
    from marketplace.needs.reminders import remind_due_soon

    return remind_due_soon(now)


def _dashboard(now: datetime) -> dict[str, Any]:
    from marketplace.dashboard.compute import compute_all

    return {"regions": compute_all(now)}


def _inspection_sampling(now: datetime) -> dict[str, Any]:
    from marketplace.projects.sampling import run

    sample = run(now)
    return {"seed": sample.seed, "chosen": sample.chosen} if sample else {"chosen": []}


def _offers(now: datetime) -> dict[str, Any]:
    from marketplace.matching.offers import expire_due, remind_expiring

    return {**expire_due(now), "reminded": remind_expiring(now)}


def _match_digest(now: datetime) -> dict[str, Any]:
    from marketplace.matching.recommend import send_digest

    return send_digest(now)
def _visits(now: datetime) -> dict[str, Any]:
    from marketplace.visits.reminders import notify_overdue

    return notify_overdue(now)


def registry(scale: float = 1.0) -> list[Job]:
    """All jobs; `scale` shrinks the intervals (tests run ticks of a second)."""
    def every(seconds: int) -> int:
        return max(1, int(seconds * scale))

    return [
        Job("lights", every(300), _lights),
        Job("lights_full", every(3600), _lights_full),
        Job("expire_needs", every(300), _expire_needs),
        Job("expire_vouchers", every(300), _expire_vouchers),
        Job("transfers_overdue", every(300), _transfers_overdue),
        Job("leaderboards", every(300), _leaderboards),
        Job("emails", every(60), _emails),
        # Hourly; each sends what is due once (a digest a day after 08:00, a reminder per claim and date).
        Job("digests", every(3600), _digests),
        Job("due_soon", every(3600), _due_soon),
        Job("dashboard", every(300), _dashboard),
        # Visit plans follow the settings and new households; each missed visit is told once.
        Job("visits", every(300), _visits),
        Job("inspection_sampling", every(7 * 86400), _inspection_sampling),
        # Routed offers: expire those past their deadline, remind those about to expire.
        Job("offers", every(300), _offers),
        # Once a day: each organisation's new needs that fit (a notice; emailed in the morning digest).
        Job("match_digest", every(86400), _match_digest),
    ]


def tick_of(job: Job, now: datetime) -> str:
    """The tick a moment falls in: runs of the same tick are the same run."""
    return str(int(now.timestamp()) // job.every_seconds)


def run_tick(job: Job, now: datetime, holder: str) -> JobRun | None:
    """Run the job for the tick of `now` unless that tick already ran: the job's one unit of work.

    The unique (job, tick) row is inserted first: a second runner (say, an old leader whose lease
    expired mid-run) fails on it and does nothing. If the job fails, the unit rolls back, nothing is
    recorded and the next tick tries again.
    """
    with transaction():
        record = JobRun(job_id=job.id, tick=tick_of(job, now), holder=holder, started_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            return None  # this tick ran already (or is running elsewhere)
        record.result = job.run(now)
        record.finished_at = clock.now()
    return record
