"""`flask scheduler run`: the one process that runs periodic jobs, guarded by the lease.

APScheduler only fires the triggers (stable job ids, coalesced, one instance at a time); every
firing first takes or renews the database lease, so of several processes (or hosts) only the
holder works. Missed ticks after downtime are coalesced into one run, and as each job works from
the current state (lights, expiry) or from what is missing (leaderboard periods), one run catches up.
"""

from __future__ import annotations

import os
import signal
import socket
import uuid
from datetime import timedelta
from typing import Any

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app

from marketplace import clock
from marketplace.scheduler import jobs, lease
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("scheduler_cli", __name__, "scheduler")


def _fire(app: Flask, job: jobs.Job, holder: str, ttl: timedelta) -> None:
    """One trigger firing: hold the lease, then run this tick once."""
    with app.app_context():
        now = clock.now()
        if not lease.hold(holder, now, ttl):
            return
        try:
            run = jobs.run_tick(job, now, holder)
        except Exception:
            app.logger.exception("job %s failed", job.id)
            return
        if run is not None:
            app.logger.info("job %s tick %s: %s", job.id, run.tick, run.result)


def _heartbeat(app: Flask, holder: str, ttl: timedelta) -> None:
    with app.app_context():
        lease.hold(holder, clock.now(), ttl)


def build(app: Flask, holder: str) -> BlockingScheduler:
    """The APScheduler instance with every job and the lease heartbeat."""
    scale = float(app.config.get("SCHEDULER_SCALE", 1.0))
    ttl = timedelta(seconds=float(app.config.get("SCHEDULER_LEASE_SECONDS", 60)))
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    )
    for job in jobs.registry(scale):
        scheduler.add_job(_fire, IntervalTrigger(seconds=job.every_seconds), args=[app, job, holder, ttl],
                          id=job.id, next_run_time=clock.now())
    scheduler.add_job(_heartbeat, IntervalTrigger(seconds=max(1.0, ttl.total_seconds() / 3)),
                      args=[app, holder, ttl], id="lease-heartbeat", next_run_time=clock.now())
    return scheduler


@bp.cli.command("run", unit_of_work=False)
def run_command() -> None:
    """Run the scheduler in this process (only the lease holder among all such processes works)."""
    app: Any = current_app._get_current_object()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    scheduler = build(app, holder)

    def stop(*_args: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"scheduler {holder} started")
    try:
        scheduler.start()
    finally:
        with app.app_context():
            lease.release(holder)
        click.echo(f"scheduler {holder} stopped")


@bp.cli.command("tick", unit_of_work=False)
@click.argument("job_id", required=False)
def tick_command(job_id: str | None) -> None:
    """Run every job (or one) once now, e.g. from cron or by hand; respects the lease."""
    holder = f"cli:{socket.gethostname()}:{os.getpid()}"
    ttl = timedelta(seconds=float(current_app.config.get("SCHEDULER_LEASE_SECONDS", 60)))
    now = clock.now()
    if not lease.hold(holder, now, ttl):
        raise click.ClickException("another scheduler holds the lease; not running")
    for job in jobs.registry():
        if job_id in (None, job.id):
            run = jobs.run_tick(job, now, holder)
            click.echo(f"{job.id}: {run.result if run else 'already ran this tick'}")
    lease.release(holder)
