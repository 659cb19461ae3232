"""The scheduler: one lease holder works, each tick runs once, a dead leader is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.scheduler import jobs, lease
from marketplace.scheduler.models import JobRun
from tests.conftest import ROOT, app_config, drop_schema, postgres_url, private_schema_url

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_lease_is_exclusive_until_it_expires(app):
    ttl = timedelta(seconds=30)
    assert lease.hold("a", T0, ttl)
    assert not lease.hold("b", T0 + timedelta(seconds=10), ttl)
    assert lease.hold("a", T0 + timedelta(seconds=20), ttl)  # renewal
    assert not lease.hold("b", T0 + timedelta(seconds=49), ttl)
    assert lease.hold("b", T0 + timedelta(seconds=51), ttl)  # a stopped renewing: b takes over
    assert not lease.hold("a", T0 + timedelta(seconds=52), ttl)


def test_a_tick_runs_once_and_a_failed_run_is_retried(app):
    calls = []

    def work(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return {"ok": True}

    job = jobs.Job("probe", 60, work)
    with pytest.raises(RuntimeError):
        jobs.run_tick(job, T0, "a")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0  # nothing recorded
    assert jobs.run_tick(job, T0 + timedelta(seconds=1), "a") is not None
    assert jobs.run_tick(job, T0 + timedelta(seconds=2), "b") is None  # same tick, other runner
    assert len(calls) == 2


def _start(url: str, extra_env: dict[str, str]) -> subprocess.Popen:
    # A lease of 8 s, renewed every 2.7 s: on SQLite the renewal waits for the write lock a running
    # job holds, and a job took over 3 s here while the rest of the suite ran on both cores
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x", "SCHEDULER_SCALE": "0.004",
           "SCHEDULER_LEASE_SECONDS": "8", **extra_env}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request, tmp_path):
    """A migrated database of its own, so nothing else in the test run touches its locks."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    else:
        url = private_schema_url(postgres_url(), f"scheduler_test_{os.getpid()}")
    app = create_app(app_config(url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        yield url
        db.session.rollback()
        db.engine.dispose()
    if request.param == "postgresql":
        drop_schema(postgres_url(), f"scheduler_test_{os.getpid()}")


def _runs() -> list[tuple[str, str, str]]:
    db.session.rollback()
    rows = list(db.session.execute(sa.select(JobRun.job_id, JobRun.tick, JobRun.holder).order_by(JobRun.id)))
    db.session.rollback()  # hold no snapshot while the schedulers write
    return rows


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_three_processes_one_works_and_a_killed_leader_is_replaced(own_database):
    processes = [_start(own_database, {}) for _ in range(3)]
    try:
        # Until each job has run a few ticks (three processes start in 2–3 s on a quiet machine, more
        # when the rest of the suite loads it): what is asserted below is who ran them, and how often.
        started = time.monotonic()
        runs = _runs()
        while time.monotonic() - started < 40 and not all(
                len([t for j, t, _ in runs if j == job_id]) >= 3 for job_id in ("lights", "emails")):
            time.sleep(0.5)
            runs = _runs()
        holders = {holder for _, _, holder in runs}
        assert len(holders) == 1, holders
        for job_id in ("lights", "emails"):
            ticks = [int(t) for j, t, _ in runs if j == job_id]
            assert len(ticks) >= 3 and len(ticks) == len(set(ticks)), (job_id, ticks)
        leader_pid = int(next(iter(holders)).split(":")[1])
        leader = next(p for p in processes if p.pid == leader_pid)
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
        killed_at = time.monotonic()
        new_holders: set[str] = set()
        while time.monotonic() - killed_at < 20 and not new_holders:
            time.sleep(0.5)
            new_holders = {h for _, _, h in _runs()} - holders
        assert len(new_holders) == 1, "another scheduler took over within the lease time"
        ticks = [t for j, t, _ in _runs() if j == "lights"]
        assert len(ticks) == len(set(ticks))  # still no tick twice, across the handover
    finally:
        _stop(processes)
