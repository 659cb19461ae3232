"""Benchmark: lights recompute and the staff dashboard on 1,000,000 open needs, SQLite and PostgreSQL.

    .venv/bin/python scripts/bench_lights.py                 # both databases, 1,000,000 needs
    .venv/bin/python scripts/bench_lights.py --rows 100000 --db sqlite

For each database it builds a scratch data set (one district, its streets, 200,000 households,
1,000 organisations, the open needs, plus 10 % closed needs with claims for the dashboard's
medians) and prints, side by side:
  cold    every light changes: the application's recompute vs one hand-written UPDATE;
  steady  about 1 % of lights change: the application's recompute vs an ORM loop applying the
          same rules (timed on 50,000 rows and scaled);
  dashboard  the scheduler's figure job, and the page of a region holding all the needs.
PostgreSQL uses TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) in a
scratch schema that is dropped afterwards.

    .venv/bin/python scripts/bench_lights.py --kept bench_scale   # bench_browse's kept 14M data set
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from scripts.bench_support import settle  # noqa: E402

DISTRICT = "440104"
CATEGORIES = ["daily_living", "education", "medical", "visit", "meals", "cleaning", "home_safety"]


def app_for(url: str):  # type: ignore[no-untyped-def]
    """An app on the scratch database, migrated, with regions."""
    from flask_migrate import upgrade

    from marketplace.regions.service import import_regions

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions((ROOT / "marketplace" / "data" / "regions_guangzhou.csv").read_text(encoding="utf-8"))
        db.session.commit()
    return app


def generate(rows: int, now: datetime) -> None:
    """Households, organisations, open needs and some closed ones, inserted in bulk."""
    rng = random.Random(7)
    conn = db.session.connection()
    streets = list(db.session.scalars(sa.text("SELECT code FROM regions WHERE parent_code = :d"), {"d": DISTRICT}))
    households = max(1, rows // 5)
    conn.execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext, 'dibao',"
        " 'elderly_special_difficulty', :d, :s, 1, '某某', '', '', '', :now, :now)"),
        [{"id": i, "ext": f"H{i}", "d": DISTRICT, "s": streets[i % len(streets)], "now": now}
         for i in range(1, households + 1)])
    conn.execute(sa.text(
        "INSERT INTO organisations (id, name, kind, credit_code, contact_name, contact_phone, contact_email,"
        " description, status, review_reason, created_at) VALUES (:id, :name, :kind, :code, 'x', 'x', 'x', '',"
        " 'approved', '', :now)"),
        [{"id": i, "name": f"组织{i}", "kind": ("company", "charity", "project")[i % 3], "code": f"B{i:017d}",
          "now": now} for i in range(1, 1001)])
    batch = []
    total = rows + rows // 10
    for i in range(1, total + 1):
        batch.append(_need(i, i <= rows, rng, now, households, streets))
        if len(batch) == 50_000:
            _insert_needs(conn, batch)
            batch = []
    if batch:
        _insert_needs(conn, batch)
    conn.execute(sa.text(
        "INSERT INTO claims (need_id, organisation_id, status, promised_by, created_at, end_reason)"
        " SELECT id, claimed_by_id, 'completed', fulfil_by, published_at + (closed_at - published_at) / 3, ''"
        " FROM needs WHERE status = 'closed'") if db.engine.dialect.name == "postgresql" else sa.text(
        "INSERT INTO claims (need_id, organisation_id, status, promised_by, created_at, end_reason)"
        " SELECT id, claimed_by_id, 'completed', fulfil_by, published_at, '' FROM needs WHERE status = 'closed'"))
    db.session.commit()


def _need(i: int, open_: bool, rng: random.Random, now: datetime, households: int, streets: list[str]) -> dict:
    published = now - timedelta(days=rng.uniform(0, 20))
    status = ("published", "claimed", "delivered")[i % 5 % 3] if open_ else "closed"
    today = now.date()
    return {
        "id": i, "h": rng.randint(1, households), "d": DISTRICT, "s": streets[i % len(streets)],
        "cat": CATEGORIES[i % len(CATEGORIES)], "v": rng.randint(1, 2000) * 100, "u": i % 17 == 0, "st": status,
        "cd": today + timedelta(days=10), "fb": today + timedelta(days=30), "p": published,
        "del": now - timedelta(days=rng.uniform(0, 8)) if status in ("delivered", "closed") else None,
        "clo": published + timedelta(days=rng.uniform(1, 20)) if status == "closed" else None,
        "org": rng.randint(1, 1000) if status != "published" else None,
        "pb": today + timedelta(days=rng.randint(-10, 10)) if status != "published" else None, "now": now,
    }


def _insert_needs(conn: sa.Connection, batch: list[dict]) -> None:
    conn.execute(sa.text(
        "INSERT INTO needs (id, household_id, district_code, street_code, kind, category, title, story, quantity,"
        " value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, delivered_at, closed_at,"
        " claimed_by_id, promised_by, feedback, last_reason, created_at, updated_at)"
        " VALUES (:id, :h, :d, :s, 'wish', :cat, '一台电饭煲', 'L阿姨，72岁，独居。', 1, :v, :u, :st, :cd, :fb, :p,"
        " :del, :clo, :org, :pb, '', '', :now, :now)"), batch)


def timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Seconds taken by fn() (committed), and its result."""
    start = time.perf_counter()
    result = fn()
    db.session.commit()
    return time.perf_counter() - start, result


def hand_written_update(now: datetime, *, open_only: bool = False) -> int:
    """The limit: one UPDATE classifying every need, writing only rows whose light changes."""
    from marketplace.lights import rules
    from marketplace.needs.models import Need

    needs = rules.light_columns(Need)  # the light alone, as a hand-written UPDATE would set it
    expr = rules.need_light(rules.Thresholds.at(now), needs)
    update = sa.update(needs).values(light=expr).where(needs.c.light.is_distinct_from(expr))
    if open_only:
        update = update.where(needs.c.status != "closed")
    return db.session.execute(update).rowcount


def python_light(need, t) -> str | None:  # type: ignore[no-untyped-def]
    """The same rules, one object at a time (what the set-based SQL replaces)."""
    if need.status == "published":
        return "red" if need.published_at <= t.wish_red_before else (
            "yellow" if need.published_at <= t.wish_yellow_before else "green")
    if need.status == "claimed":
        return "red" if need.promised_by < t.today else ("yellow" if need.promised_by <= t.claim_yellow_until
                                                         else "green")
    if need.status == "delivered":
        return "red" if need.delivered_at <= t.delivered_red_before else (
            "yellow" if need.delivered_at <= t.delivered_yellow_before else "green")
    return None


def orm_loop(now: datetime, limit: int) -> int:
    """Load `limit` needs as objects and set each light in Python."""
    from marketplace.lights import rules
    from marketplace.needs.models import OPEN_STATUSES, Need

    t = rules.Thresholds.at(now)
    changed = 0
    open_needs = sa.select(Need).where(Need.status.in_(OPEN_STATUSES)).order_by(Need.id).limit(limit)
    for need in db.session.scalars(open_needs):
        new = python_light(need, t)
        if need.light != new:
            need.light = new
            changed += 1
    db.session.flush()
    return changed


def perturb(percent: float) -> None:
    """Make about `percent` % of the needs' lights due to change (dates moved past a threshold)."""
    step = int(100 / percent)
    db.session.execute(sa.text(
        f"UPDATE needs SET published_at = published_at - INTERVAL '30 days' WHERE id % {step} = 0"
        " AND status = 'published' AND light <> 'red'" if db.engine.dialect.name == "postgresql" else
        f"UPDATE needs SET published_at = datetime(published_at, '-30 days') WHERE id % {step} = 0"
        " AND status = 'published' AND light <> 'red'"))
    db.session.execute(sa.text(
        f"UPDATE needs SET promised_by = promised_by - 30 WHERE id % {step} = 1 AND status = 'claimed'"
        " AND light <> 'red'" if db.engine.dialect.name == "postgresql" else
        f"UPDATE needs SET promised_by = date(promised_by, '-30 days') WHERE id % {step} = 1 AND status = 'claimed'"
        " AND light <> 'red'"))
    db.session.commit()


def dashboard_page(app, now: datetime) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of the district dashboard page (10 requests after a warm-up)."""
    from marketplace.accounts.models import Role
    from marketplace.accounts.service import create_user

    with app.app_context():
        create_user("bench-staff@example.cn", "bench-password", Role.STAFF, region_code=DISTRICT)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench-staff@example.cn", "password": "bench-password"})
    client.get("/staff/dashboard/")
    samples = []
    for _ in range(10):
        start = time.perf_counter()
        response = client.get("/staff/dashboard/")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(samples)


def run(name: str, url: str, rows: int) -> dict[str, float]:
    """Every measurement on one database."""
    from marketplace.dashboard.compute import compute_all
    from marketplace.lights.recompute import recompute

    app = app_for(url)
    now = datetime.now().astimezone()
    figures: dict[str, float] = {}
    with app.app_context():
        t0 = time.perf_counter()
        generate(rows, now)
        figures["generate_s"] = time.perf_counter() - t0
        settle()
        figures["cold_app_s"], res = timed(lambda: recompute(now, full=True))
        figures["cold_changed"] = res.needs
        figures["cold_needs_step_s"] = res.extra["needs_seconds"]
        db.session.execute(sa.text("UPDATE needs SET light = NULL"))
        db.session.commit()
        settle()
        figures["cold_hand_s"], figures["cold_hand_changed"] = timed(lambda: hand_written_update(now))
        settle()  # a million rewritten rows: autovacuum would follow on PostgreSQL
        figures["steady_noop_s"], _ = timed(lambda: recompute(now))
        perturb(1.0)
        figures["steady_app_s"], res = timed(lambda: recompute(now))
        figures["steady_changed"] = res.needs
        db.session.execute(sa.text("UPDATE needs SET light = NULL WHERE id <= 60000"))
        db.session.commit()
        loop_rows = min(50_000, rows)
        loop_s, _ = timed(lambda: orm_loop(now, loop_rows))
        figures["orm_loop_scaled_s"] = loop_s * rows / loop_rows
        figures["dashboard_job_s"], _ = timed(lambda: compute_all(now))
        db.engine.dispose()
    figures["dashboard_page_s"] = dashboard_page(app, now)
    with app.app_context():
        db.engine.dispose()
    return figures


def run_kept(schema: str) -> dict[str, float]:
    """The recompute on a data set kept by scripts/bench_browse.py (--keep --schema), PostgreSQL:
    its open needs' seeded lights are drawn, not the rules', so one UPDATE first sets them as the
    rules say (as the cold run would); then the app's recompute with nothing changed, then with
    about 1 % of the lights due to change."""
    from marketplace.lights.recompute import recompute

    base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"{base}?options=-csearch_path%3D{schema}",
                      "TESTING": True})
    now = datetime.now().astimezone()
    figures: dict[str, float] = {}
    with app.app_context():
        figures["needs"] = db.session.scalar(sa.text("SELECT count(*) FROM needs"))
        figures["open"] = db.session.scalar(sa.text("SELECT count(*) FROM needs WHERE status <> 'closed'"))
        figures["cold_hand_s"], figures["cold_changed"] = timed(lambda: hand_written_update(now, open_only=True))
        settle()
        samples = [timed(lambda: recompute(now))[0] for _ in range(3)]
        figures["steady_noop_s"] = statistics.median(samples)
        perturb(1.0)
        settle()
        figures["steady_app_s"], res = timed(lambda: recompute(now))
        figures["steady_changed"] = res.needs
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--kept", metavar="SCHEMA", help="only the recompute, on a PostgreSQL schema kept by "
                        "scripts/bench_browse.py --keep (e.g. its 14,000,000-need data set)")
    args = parser.parse_args()
    if args.kept:
        if not args.kept.isidentifier():
            parser.error("--kept must be a schema name")
        figures = run_kept(args.kept)
        print(f"\nLights recompute on the kept schema {args.kept}: {figures['needs']:,} needs,"
              f" {figures['open']:,} open")
        print(f"open needs' lights set to the rules (one UPDATE): {figures['cold_hand_s']:.2f} s,"
              f" {figures['cold_changed']:,} changed")
        print(f"steady, nothing changed: {figures['steady_noop_s']:.2f} s (median of 3)")
        print(f"steady, ~1 % due to change: {figures['steady_app_s']:.2f} s, {figures['steady_changed']:,} changed"
              " (goal < 1.5 s)")
        return
    results = {}
    if args.db in ("sqlite", "both"):
        path = Path("/tmp/shanlian-bench-lights.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        results["SQLite"] = run("sqlite", f"sqlite:///{path}", args.rows)
    if args.db in ("postgresql", "both"):
        base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_lights CASCADE; CREATE SCHEMA bench_lights"))
        try:
            results["PostgreSQL"] = run("postgresql", f"{base}?options=-csearch_path%3Dbench_lights", args.rows)
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_lights CASCADE"))
    report(results, args.rows)


def report(results: dict[str, dict[str, float]], rows: int) -> None:
    """The figures side by side, with the goals of issue 5."""
    print(f"\nLights and dashboard, {rows:,} open needs\n")
    print(f"{'':44}" + "".join(f"{name:>14}" for name in results))
    lines = [
        ("data generation (s)", "generate_s"),
        ("cold: app recompute, every light changes (s)", "cold_app_s"),
        ("cold: of which the needs step (s)", "cold_needs_step_s"),
        ("cold: one hand-written UPDATE (s)", "cold_hand_s"),
        ("steady: app recompute, nothing changed (s)", "steady_noop_s"),
        ("steady: app recompute, ~1 % changed (s)", "steady_app_s"),
        ("steady: lights changed", "steady_changed"),
        ("ORM loop, same rules, scaled to all rows (s)", "orm_loop_scaled_s"),
        ("dashboard figures job (s)", "dashboard_job_s"),
        ("dashboard page, median of 10 (ms)", "dashboard_page_s"),
    ]
    for label, key in lines:
        values = [r[key] * (1000 if key == "dashboard_page_s" else 1) for r in results.values()]
        print(f"{label:44}" + "".join(f"{v:>14,.2f}" if isinstance(v, float) else f"{v:>14,}" for v in values))
    print()
    for name, r in results.items():
        print(f"{name}: cold ratio needs step/hand = {r['cold_needs_step_s'] / r['cold_hand_s']:.2f} (goal ≤ 1.2), "
              f"whole run/hand = {r['cold_app_s'] / r['cold_hand_s']:.2f}; "
              f"steady {r['steady_app_s']:.2f} s (goal < 1.5); ORM loop / app = "
              f"{r['orm_loop_scaled_s'] / r['steady_app_s']:.0f}× (goal ≥ 50); "
              f"dashboard {r['dashboard_page_s'] * 1000:.0f} ms (goal < 300)")


if __name__ == "__main__":
    main()
