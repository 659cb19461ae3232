"""Benchmark: visit plans, the visits-due list and household lights on 200,000 households.

    .venv/bin/python scripts/bench_visits.py                       # both databases
    .venv/bin/python scripts/bench_visits.py --households 50000 --db sqlite

Builds a scratch data set (one district, 200,000 households of every category and group, two
visits each for three in four of them, 100 caseworkers) and times: the plan sync cold (every plan
made) and steady (nothing to do), the sync after an admin changes 低保's interval, the full
household-light recompute (every household's needs, projects, plan and visits probed), the first
page and count of a district's visits-due list, and the overdue notices (cold: every caseworker
told of every overdue household; steady: nothing new).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import taxonomy  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from scripts.bench_lights import DISTRICT, app_for  # noqa: E402
from scripts.bench_support import settle  # noqa: E402


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    db.session.commit()
    return time.perf_counter() - start, result


def generate(households: int, now: datetime) -> None:
    rng = random.Random(16)
    conn = db.session.connection()
    streets = list(db.session.scalars(sa.text("SELECT code FROM regions WHERE parent_code = :d"), {"d": DISTRICT}))
    categories, groups = list(taxonomy.HOUSEHOLD_CATEGORIES), list(taxonomy.HOUSEHOLD_GROUPS)
    for start in range(1, households + 1, 50_000):
        conn.execute(sa.text(
            "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code,"
            " members, head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext,"
            " :c, :g, :d, :s, 1, '某某', '', '', '', :at, :at)"),
            [{"id": i, "ext": f"H{i}", "c": categories[i % len(categories)], "g": groups[i % len(groups)],
              "d": DISTRICT, "s": streets[i % len(streets)], "at": now - timedelta(days=200)}
             for i in range(start, min(households, start + 49_999) + 1)])
    conn.execute(sa.text(
        "INSERT INTO users (id, email, display_name, password_hash, role, region_code, is_enabled,"
        " session_version, created_at) VALUES (:id, :e, :n, 'x', 'staff', :r, :t, 1, :now)"),
        [{"id": i, "e": f"cw{i}@bench", "n": f"社工{i}", "r": DISTRICT, "t": True, "now": now} for i in range(1, 101)])
    visits = [{"h": h, "at": now - timedelta(days=rng.uniform(0, 150)), "now": now}
              for h in range(1, households + 1) if h % 4 for _ in range(2)]
    for start in range(0, len(visits), 50_000):
        conn.execute(sa.text(
            "INSERT INTO visits (household_id, visited_at, visitors, met, seen, recorded_by_id, created_at)"
            " VALUES (:h, :at, '社工', true, '', 1, :now)"), visits[start:start + 50_000])
    db.session.commit()


def run(url: str, households: int) -> dict[str, float]:
    from marketplace.lights.recompute import recompute
    from marketplace.settings import service as settings
    from marketplace.visits import plans, reminders
    from marketplace.visits.models import Visit, VisitPlan

    app = app_for(url)
    now = datetime.now().astimezone()
    figures: dict[str, float] = {}
    with app.app_context():
        generate(households, now)
        settle()
        figures["sync_cold_s"], res = timed(lambda: plans.sync(now))
        figures["sync_cold_created"] = res["created"]
        last = sa.select(sa.func.max(Visit.visited_at)).where(Visit.household_id == VisitPlan.household_id)
        db.session.execute(sa.update(VisitPlan).values(last_visit_at=last.scalar_subquery(),
                                                       caseworker_id=VisitPlan.household_id % 100 + 1))
        db.session.commit()
        settle()
        figures["sync_steady_s"], _ = timed(lambda: plans.sync(now))
        admin = type("Admin", (), {"id": None})()
        settings.set_value("visit_days_dibao", 60, actor=admin)
        db.session.commit()
        figures["sync_setting_s"], res = timed(lambda: plans.sync(now))
        figures["sync_setting_changed"] = res["changed"]
        settle()
        figures["lights_full_s"], res = timed(lambda: recompute(now, full=True))
        figures["lights_households_changed"] = res.households
        figures["lights_steady_s"], _ = timed(lambda: recompute(now, full=True))
        cut = plans.Cutoffs.at(now)
        listed = (sa.select(VisitPlan).join(VisitPlan.household)
                  .where(sa.text("households.district_code = :d").bindparams(d=DISTRICT), VisitPlan.interval_days > 0,
                         cut.due()))

        def page() -> int:
            rows = db.session.scalars(listed.order_by(cut.rank(), plans.seen_since(), VisitPlan.id).limit(30)).all()
            count = db.session.scalar(sa.select(sa.func.count()).select_from(listed.subquery()))
            return len(rows) + (count or 0)

        figures["due_page_s"], _ = timed(page)
        figures["notify_cold_s"], res = timed(lambda: reminders.notify_overdue(now))
        figures["notified"] = res["notified"]
        figures["notify_steady_s"], _ = timed(lambda: reminders.notify_overdue(now))
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = {}
    if args.db in ("sqlite", "both"):
        path = Path("/tmp/shanlian-bench-visits.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        results["SQLite"] = run(f"sqlite:///{path}", args.households)
    if args.db in ("postgresql", "both"):
        base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_visits CASCADE; CREATE SCHEMA bench_visits"))
        try:
            results["PostgreSQL"] = run(f"{base}?options=-csearch_path%3Dbench_visits", args.households)
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_visits CASCADE"))
    keys = list(next(iter(results.values())))
    print(f"{'':28}" + "".join(f"{name:>14}" for name in results))
    for key in keys:
        print(f"{key:28}" + "".join(f"{r[key]:>14.3f}" if isinstance(r[key], float) else f"{r[key]:>14}"
                                     for r in results.values()))


if __name__ == "__main__":
    main()
