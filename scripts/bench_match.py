"""Benchmark: the recommendations (为您推荐) of one organisation over 1,000,000 open needs.

    .venv/bin/python scripts/bench_match.py                      # both databases, 1,000,000 needs
    .venv/bin/python scripts/bench_match.py --rows 100000 --db sqlite
    .venv/bin/python scripts/bench_match.py --db postgresql --keep   # keep the data set for the next run

For each database it builds a scratch data set (Guangzhou's districts and streets, 20,000
households, `--rows` published unclaimed needs spread over every street and all 17 categories,
published over the last 60 days, 6 % urgent, 1 in 50 red), two organisations with capability
profiles (a focused one: 3 categories, 2 streets and a district; a broad one: all 17 categories,
3 districts), 1,000 dismissals, and times `matching.recommend.for_organisation` (the home page's
list of 20 with its reasons) in process. Each case runs `--repeat` times after one warm-up; the
median and p95 are printed in ms. PostgreSQL uses TEST_DATABASE_URL in a scratch schema dropped
afterwards. With `--keep` the SQLite file (/tmp/shanlian-bench-match.db) and the PostgreSQL schema
stay, and a later `--keep` run with the same `--rows` reuses them (seeding 1,000,000 takes minutes).
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

from marketplace import clock, taxonomy  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from scripts.bench_search import app_for  # noqa: E402
from scripts.bench_support import settle  # noqa: E402

CATEGORIES = list(taxonomy.NEED_CATEGORIES)


def generate(rows: int, now: datetime) -> None:
    """Households, needs and two profiled organisations in bulk."""
    rng = random.Random(15)
    conn = db.session.connection()
    streets = list(conn.execute(sa.text("SELECT code, parent_code FROM regions WHERE level = 'street'")))
    households = 20_000
    conn.execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext, 'dibao',"
        " 'elderly_special_difficulty', :d, :s, 1, '某某', '', '', '', :now, :now)"),
        [{"id": i, "ext": f"H{i}", "d": streets[i % len(streets)][1], "s": streets[i % len(streets)][0], "now": now}
         for i in range(1, households + 1)])
    today = now.date()
    for start in range(1, rows + 1, 20_000):
        batch = []
        for i in range(start, min(start + 20_000, rows + 1)):
            street, district = streets[rng.randrange(len(streets))]
            batch.append({"id": i, "h": rng.randint(1, households), "d": district, "s": street,
                          "cat": CATEGORIES[rng.randrange(len(CATEGORIES))], "v": rng.randint(1, 3000) * 100,
                          "u": rng.random() < 0.06, "l": "red" if rng.random() < 0.02 else "green",
                          "cd": today + timedelta(days=10), "fb": today + timedelta(days=30),
                          "p": now - timedelta(days=rng.uniform(0, 60)), "now": now})
        conn.execute(sa.text(
            "INSERT INTO needs (id, household_id, district_code, street_code, kind, category, title, story, quantity,"
            " value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, feedback, last_reason, light,"
            " created_at, updated_at) VALUES (:id, :h, :d, :s, 'wish', :cat, '一台电饭煲', 'L阿姨，72岁，独居。', 1,"
            " :v, :u, 'published', :cd, :fb, :p, '', '', :l, :now, :now)"), batch)
        db.session.commit()
        conn = db.session.connection()


LABELS = {"BENCH0000000000001": "focused (3 categories, 2 streets + 1 district)",
          "BENCH0000000000002": "broad (17 categories, 3 districts)"}


def seeded(rows: int) -> dict[str, int] | None:
    """The organisations of a kept data set of `rows` needs, if there is one."""
    from marketplace.organisations.models import Organisation

    if db.session.scalar(sa.text("SELECT count(*) FROM needs")) != rows:
        return None
    found = db.session.execute(sa.select(Organisation.credit_code, Organisation.id)
                               .where(Organisation.credit_code.in_(list(LABELS)))).all()
    return {LABELS[code]: org_id for code, org_id in sorted(found)} if len(found) == len(LABELS) else None


def organisations(now: datetime, rows: int) -> dict[str, int]:
    """The focused and the broad organisation, with profiles, and 1,000 dismissals of the focused one."""
    from marketplace.matching.models import NeedDismissal
    from marketplace.organisations.models import Organisation, OrganisationCategory
    from marketplace.regions.models import Region

    yuexiu_streets = list(db.session.scalars(sa.select(Region).where(Region.parent_code == "440104")
                                             .order_by(Region.code).limit(2)))
    districts = list(db.session.scalars(sa.select(Region).where(Region.level == "district")
                                        .order_by(Region.code).limit(3)))
    focused = Organisation(name="专注组织", kind="charity", credit_code="BENCH0000000000001", contact_name="x",
                           contact_phone="1", contact_email="a@b.cn", status="approved", capacity_open=20,
                           capacity_month=40, value_min_fen=5_000, value_max_fen=100_000, response_hours=24,
                           regions=[*yuexiu_streets, districts[0]],
                           category_rows=[OrganisationCategory(category=c)
                                          for c in ("rehab_nursing", "daily_living", "medical")])
    broad = Organisation(name="综合组织", kind="charity", credit_code="BENCH0000000000002", contact_name="x",
                         contact_phone="1", contact_email="a@b.cn", status="approved", regions=districts,
                         category_rows=[OrganisationCategory(category=c) for c in CATEGORIES])
    db.session.add_all([focused, broad])
    db.session.flush()
    db.session.add_all([NeedDismissal(organisation_id=focused.id, need_id=i)
                        for i in range(1, min(rows, 100_000) + 1, 100)])
    db.session.commit()
    return {LABELS[focused.credit_code]: focused.id, LABELS[broad.credit_code]: broad.id}


def measure(org_id: int, repeat: int) -> tuple[float, float, int]:
    """Median and p95 in ms of one organisation's recommendations, and how many it found."""
    from marketplace.matching import recommend
    from marketplace.organisations.models import Organisation

    def once() -> int:
        org = db.session.get(Organisation, org_id)
        found = len(recommend.for_organisation(org, clock.now()))
        db.session.rollback()
        db.session.expunge_all()
        return found

    found = once()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], found


def run(url: str, rows: int, repeat: int, *, keep: bool = False) -> dict[str, object]:
    """Seed (or, with `keep`, reuse a kept data set) and time each organisation's list."""
    app = app_for(url)
    out: dict[str, object] = {}
    with app.app_context():
        now = clock.now()
        started = time.perf_counter()
        orgs = seeded(rows) if keep else None
        if orgs is None:
            db.session.rollback()
            generate(rows, now)
            orgs = organisations(now, rows)
        out["seed_s"] = time.perf_counter() - started
        settle()
        for label, org_id in orgs.items():
            out[label] = measure(org_id, repeat)
        for engine in db.engines.values():
            engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--schema", default="bench_match", help="PostgreSQL scratch schema (dropped afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the data set, and reuse a kept one of --rows")
    args = parser.parse_args()
    schema = args.schema if args.schema.isidentifier() else "bench_match"
    results: dict[str, dict[str, object]] = {}
    if args.db in ("sqlite", "both"):
        path = Path("/tmp/shanlian-bench-match.db")
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        results["SQLite"] = run(f"sqlite:///{path}", args.rows, args.repeat, keep=args.keep)
    if args.db in ("postgresql", "both"):
        base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            if not args.keep:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        try:
            results["PostgreSQL"] = run(f"{base}?options=-csearch_path%3D{schema}", args.rows, args.repeat,
                                        keep=args.keep)
        finally:
            if not args.keep:
                with engine.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    print(f"\nRecommendations of one organisation, {args.rows:,} open needs, list of 20 with reasons, "
          f"{args.repeat} runs each\n")
    for name, r in results.items():
        print(f"{name}: seeding {r['seed_s']:.1f} s")
        for label, value in r.items():
            if label != "seed_s":
                p50, p95, found = value  # type: ignore[misc]
                print(f"  {label:52}p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {found} needs")
        print()


if __name__ == "__main__":
    main()
