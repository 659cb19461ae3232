"""Benchmark: searching the public needs list, LIKE scan (before) against the full-text index (after).

    .venv/bin/python scripts/bench_search.py                       # both databases, 100,000 needs
    .venv/bin/python scripts/bench_search.py --rows 20000 --db sqlite

For each database it builds a scratch data set (越秀区 and its streets, 20,000 households, the
published needs with stories drawn from a small Chinese vocabulary, plus 10 % closed needs), fills
the search index the way the app does (segmenting every need), and times one first page of
search results, in process (no HTTP: the page's rendering is the same either way):
  before  the query the app ran until issue 14: LIKE '%word%' over title and story, urgency order;
  after   `needs.browse.browse()`: the index, ranked by relevance, keyset pages.
Each case runs `--repeat` times after one warm-up; the median and p95 are printed in ms.
PostgreSQL uses TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) in a
scratch schema that is dropped afterwards.
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
from sqlalchemy.orm import selectinload

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import clock, create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from scripts.bench_support import settle  # noqa: E402

DISTRICT = "440104"
CATEGORIES = ["daily_living", "education", "medical", "visit", "meals", "cleaning", "home_safety", "mobility"]
PEOPLE = ["阿姨", "伯伯", "婆婆", "叔叔", "先生", "女士", "小朋友", "同学"]
THINGS = ["轮椅", "电饭煲", "助行器", "书包", "血压计", "老花镜", "落地扇", "棉被", "热水器", "护腰", "绘本",
          "雾化器", "台灯", "电脑", "冰箱", "洗衣机", "床垫", "拐杖", "校服", "字典"]
SITUATIONS = ["独居多年", "行动不便", "患有慢性病", "子女在外地", "刚刚出院", "家里经济困难", "老伴卧床",
              "需要照顾孙子", "住在没有电梯的旧楼", "视力越来越差", "腿脚不好", "每周要做透析"]
WISHES = ["原来的{t}坏了很久，希望有一台新的。", "想要一个{t}，方便日常生活。", "希望好心人帮忙买一件{t}。",
          "家里缺一台{t}，冬天特别难熬。", "{t}用了十几年，已经修不好了。"]
RARE = "手风琴"  # in 1 need of 10,000
CASES = [  # (label, query, filters)
    ("common word (轮椅)", "轮椅", {}),
    ("common word in a street (轮椅 + 北京街道)", "轮椅", {"street": "440104003"}),
    ("two words (老人 轮椅)", "老人 轮椅", {}),
    ("district name (越秀区)", "越秀区", {}),
    ("street name (北京街道)", "北京街道", {}),
    ("single character (煲)", "煲", {}),
    ("rare word (手风琴)", RARE, {}),
    ("no match (钢琴课)", "钢琴课", {}),
    ("mixed digits (80岁)", "80岁", {}),
]


def app_for(url: str):  # type: ignore[no-untyped-def]
    """An app on the scratch database, migrated, with regions."""
    from flask_migrate import upgrade

    from marketplace.regions.service import import_regions

    app = create_app({"SECRET_KEY": "bench", "HASH_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions((ROOT / "marketplace" / "data" / "regions_guangzhou.csv").read_text(encoding="utf-8"))
        db.session.commit()
    return app


def _story(rng: random.Random, i: int, *, thing: str | None = None,
           extras: list[str] = THINGS) -> tuple[str, str]:
    """A title and story about `thing` (else one drawn from THINGS); the aside names one of `extras`."""
    thing = thing or rng.choice(THINGS)
    title = f"一台{thing}" if rng.random() < 0.5 else f"{thing}一件"
    person = f"{rng.choice('LWZCHY')}{rng.choice(PEOPLE)}"
    age = rng.randint(8, 95)
    extra = rng.choice(extras)
    story = (f"{person}，{age}岁，{rng.choice(SITUATIONS)}，{rng.choice(SITUATIONS)}。"
             + rng.choice(WISHES).format(t=thing) + f"另外家里的{extra}也不太好用。")
    if i % 10_000 == 7:
        story += f"孩子喜欢音乐，想学{RARE}。"
    if rng.random() < 0.2:
        story += "家中还有一位老人需要照顾。"
    return title, story


def generate(rows: int, now: datetime) -> float:
    """Households and needs in bulk, then their search rows as the app writes them; returns index seconds."""
    from marketplace.needs import search as need_search
    from marketplace.needs.models import Need, NeedSearch

    rng = random.Random(14)
    conn = db.session.connection()
    streets = list(db.session.scalars(sa.text("SELECT code FROM regions WHERE parent_code = :d"), {"d": DISTRICT}))
    households = 20_000
    conn.execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext, 'dibao',"
        " :g, :d, :s, 1, '某某', '', '', '', :now, :now)"),
        [{"id": i, "ext": f"H{i}", "d": DISTRICT, "s": streets[i % len(streets)], "now": now,
          "g": ("elderly_special_difficulty", "student_in_hardship", "severe_illness_disability")[i % 3]}
         for i in range(1, households + 1)])
    total = rows + rows // 10
    today = now.date()
    for start in range(1, total + 1, 20_000):
        batch = []
        for i in range(start, min(start + 20_000, total + 1)):
            title, story = _story(rng, i)
            h = rng.randint(1, households)
            batch.append({"id": i, "h": h, "d": DISTRICT, "s": streets[h % len(streets)], "t": title, "y": story,
                          "cat": CATEGORIES[i % len(CATEGORIES)], "v": rng.randint(1, 2000) * 100, "u": i % 17 == 0,
                          "st": "published" if i <= rows else "closed", "cd": today + timedelta(days=10),
                          "fb": today + timedelta(days=30), "p": now - timedelta(days=rng.uniform(0, 30)),
                          "now": now})
        conn.execute(sa.text(
            "INSERT INTO needs (id, household_id, district_code, street_code, kind, category, title, story, quantity,"
            " value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, feedback, last_reason,"
            " created_at, updated_at) VALUES (:id, :h, :d, :s, 'wish', :cat, :t, :y, 1, :v, :u, :st, :cd, :fb, :p,"
            " '', '', :now, :now)"), batch)
    db.session.commit()
    # The index, written as the app writes it: each need's document, one search row per need.
    started = time.perf_counter()
    for start in range(1, total + 1, 5_000):
        needs = db.session.scalars(sa.select(Need).options(selectinload(Need.household))
                                   .where(Need.id >= start, Need.id < start + 5_000)).all()
        rows_ = []
        for need in needs:
            doc = need_search.document(need)
            rows_.append({"need_id": need.id, "title_words": doc.title_words, "title_chars": doc.title_chars,
                          "body_words": doc.body_words, "body_chars": doc.body_chars})
        db.session.execute(sa.insert(NeedSearch), rows_)
        db.session.commit()
        db.session.expunge_all()
    return time.perf_counter() - started


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def before(q: str, filters: dict[str, str]) -> list:
    """The search the app ran before issue 14 (needs/browse.py at 1ac80dc), first page."""
    from marketplace.needs.models import Need

    query = sa.select(Need).where(Need.status == "published")
    if filters.get("street"):
        query = query.where(Need.street_code == filters["street"])
    for word in q.split()[:5]:
        pattern = f"%{_escape_like(word[:30])}%"
        query = query.where(sa.or_(Need.title.like(pattern, escape="\\"), Need.story.like(pattern, escape="\\")))
    query = query.order_by(Need.is_urgent.desc(), Need.published_at, Need.id).limit(21)
    return list(db.session.scalars(query))


def after(q: str, filters: dict[str, str]) -> list:
    """The app's search now, first page."""
    from marketplace.needs.browse import BrowseFilter, browse

    return browse(BrowseFilter(q=q, street=filters.get("street", ""))).needs


def measure(fn, q: str, filters: dict[str, str], repeat: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """Median and p95 in ms, and how many rows the first page had."""
    found = len(fn(q, filters))
    db.session.rollback()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(q, filters)
        times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
        db.session.expunge_all()
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], found


def run(url: str, rows: int, repeat: int) -> dict[str, object]:
    """Seed, index, and time every case before and after."""
    app = app_for(url)
    out: dict[str, object] = {}
    with app.app_context():
        now = clock.now()
        started = time.perf_counter()
        index_s = generate(rows, now)
        out["seed_s"] = time.perf_counter() - started - index_s
        out["index_s"] = index_s
        out["index_per_need_us"] = index_s / (rows + rows // 10) * 1e6
        settle()
        for label, q, filters in CASES:
            out[label] = (measure(before, q, filters, repeat), measure(after, q, filters, repeat))
        # One ranked page further on, by its cursor.
        from marketplace.needs.browse import BrowseFilter, browse

        cursor = None
        for _ in range(5):
            cursor = browse(BrowseFilter(q="轮椅"), after=cursor or "").next_cursor
        db.session.rollback()
        out["page 6 of 轮椅 by cursor"] = (None, measure(lambda q, f: browse(BrowseFilter(q=q), after=cursor).needs,
                                                          "轮椅", {}, repeat))
        for engine in db.engines.values():
            engine.dispose()
    return out


def report(results: dict[str, dict[str, object]], rows: int, repeat: int) -> None:
    """Every case, before and after, on each database."""
    print(f"\nSearch on /needs, {rows:,} published needs (+10 % closed), first page of 20, {repeat} runs each\n")
    for name, r in results.items():
        print(f"{name}: seeding {r['seed_s']:.1f} s; indexing {r['index_s']:.1f} s "
              f"({r['index_per_need_us']:.0f} µs per need, segmentation and search row)")
        print(f"  {'case':44}{'before p50':>12}{'p95':>9}{'rows':>6}{'after p50':>12}{'p95':>9}{'rows':>6}")
        for label, *_ in [*CASES, ("page 6 of 轮椅 by cursor",)]:
            old, new = r[label]
            left = f"{old[0]:>12.1f}{old[1]:>9.1f}{old[2]:>6}" if old else f"{'—':>12}{'':>9}{'':>6}"
            print(f"  {label:44}{left}{new[0]:>12.1f}{new[1]:>9.1f}{new[2]:>6}")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the scratch schema, to look at query plans")
    args = parser.parse_args()
    results = {}
    if args.db in ("sqlite", "both"):
        path = Path("/tmp/shanlian-bench-search.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        results["SQLite"] = run(f"sqlite:///{path}", args.rows, args.repeat)
    if args.db in ("postgresql", "both"):
        base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_search CASCADE; CREATE SCHEMA bench_search"))
        try:
            results["PostgreSQL"] = run(f"{base}?options=-csearch_path%3Dbench_search", args.rows, args.repeat)
        finally:
            if not args.keep:
                with engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_search CASCADE"))
    report(results, args.rows, args.repeat)


if __name__ == "__main__":
    main()
