"""Load test of every list a reader browses, over HTTP under gunicorn, against a Flask + Jinja ceiling.

    .venv/bin/python scripts/bench_browse.py                         # both databases, 1,000,000 needs
    .venv/bin/python scripts/bench_browse.py --rows 20000 --db both --seconds 3 --repeat 10
    .venv/bin/python scripts/bench_browse.py --db sqlite --keep      # keep the data set for the next run

For each database it builds a scratch data set: Guangzhou's districts and streets, 20,000
households over all streets, `--rows` published unclaimed needs over every street and the 17
categories (6 % urgent, 1–3,000 yuan, published over the last 60 days, lights 2 % red, 10 % yellow,
the rest green) and `--rows // 10` closed ones, titles and stories from scripts/bench_search.py's
vocabulary (轮椅 in about one need in ten, 手风琴 in one in 10,000, 钢琴课 in none), a search row
per need written by the app's own `needs.search.document`, and a staff member of 越秀区. It serves
the app with `--workers` sync gunicorn workers and fetches each case (a GET of a list page; the
staff list signed in) first from one client — `--repeat` requests after 3 warm-ups: p50 and p95 —,
then from `--processes` × `--threads` clients with keep-alive connections for `--seconds`:
requests/s, also as a share of the ceiling's. The ceiling is scripts/bench_hello.py's `/table` (a
minimal Flask app rendering a 20-row table from a Jinja template) under the same gunicorn settings
and clients, measured before and after the databases' cases (the higher one counts, so a busy
moment never flatters the app). Every case's first answer is checked: status 200, the number of
cards (or rows) the data set holds for it, and that each shows what was filtered or searched.

PostgreSQL uses TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) in
the schema `--schema` (default bench_browse), dropped afterwards. With `--keep` the SQLite file
(/tmp/shanlian-bench-browse.db) and the schema stay, and a later `--keep` run with the same
`--rows` reuses them (seeding 1,000,000 takes many minutes). Rate limits count in Redis
(BENCH_REDIS_URL, as scripts/bench_meals.py) under a key prefix of this run's own; no GET page has a
limit, so the limiter checks each request as in production and throttles none.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import clock, taxonomy  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from scripts.bench_meals import Session, _app, app_env, csrf_of, gunicorn  # noqa: E402
from scripts.bench_search import RARE, THINGS, app_for  # noqa: E402
from scripts.bench_search import _story as search_story  # noqa: E402
from scripts.bench_support import settle  # noqa: E402

CATEGORIES = list(taxonomy.NEED_CATEGORIES)
GROUPS = ("elderly_special_difficulty", "student_in_hardship", "severe_illness_disability")
HOUSEHOLDS = 20_000
BATCH = 20_000
DISTRICT, STREET = "440104", "440104003"  # 越秀区, 北京街道
STAFF_EMAIL = "staff@bench-browse.example"
PASSWORD = "Bench-Harbour-7316"  # passes accounts/password_rule.py
SQLITE_PATH = Path("/tmp/shanlian-bench-browse.db")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MIN_YUAN, MAX_YUAN = 100, 500


# --- the data set ---------------------------------------------------------------------------------

def _story(rng: random.Random, i: int) -> tuple[str, str]:
    """scripts/bench_search.py's title and story, with one thing in ten a wheelchair (轮椅)."""
    thing = "轮椅" if rng.random() < 0.1 else rng.choice(THINGS[1:])  # THINGS[0] is 轮椅
    # the aside never names 轮椅, so its share is the one above
    return search_story(rng, i, thing=thing, extras=THINGS[1:])


@dataclass(frozen=True)
class _Household:
    group: str


@dataclass(frozen=True)
class _Need:
    """What `needs.search.document` reads of a need (checked against stored needs in `_check_documents`)."""

    title: str
    story: str
    category: str
    kind: str
    district_code: str
    street_code: str
    household: _Household


VARIANTS = 10_000  # distinct titles and stories; variant 7 names 手风琴 (scripts/bench_search.py's rule)
MINUTES = 60 * 24 * 60  # publication times: one a minute over the last 60 days
CHUNK = 500_000  # needs per INSERT … SELECT, one commit each


def _draw(salt: int, below: int) -> str:
    """SQL for a whole number in [0, below) drawn from the row number `i`, the same on both databases.

    Each salt has its own multiplier, so two draws of one row are not a fixed offset apart."""
    return f"((((i * {2654435761 + 2 * 7919 * salt}) % 4294967296) * 1103515245 + 12345) % 2147483648 / 1024 % {below})"


def _series(first: int, last: int) -> str:
    """Rows i = first … last: a recursive CTE, which both databases run."""
    return (f"WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s WHERE i < {last}) ")


def _pieces(now: datetime) -> None:
    """The small tables the needs are drawn from, each piece segmented once by the app's own
    `needs.search.document`: titles and stories, labels per category and group, places per street,
    publication minutes. A need's search row is then its pieces' tokens put together in SQL."""
    from marketplace.needs import search as need_search

    rng = random.Random(16)
    conn = db.session.connection()
    for name in ("bench_text", "bench_label", "bench_place", "bench_minute"):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(sa.text("CREATE TABLE bench_text (v INTEGER PRIMARY KEY, title TEXT, story TEXT, tw TEXT, tc TEXT,"
                         " bw TEXT, bc TEXT)"))
    conn.execute(sa.text("CREATE TABLE bench_label (k INTEGER PRIMARY KEY, category TEXT, grp TEXT, bw TEXT, bc TEXT)"))
    conn.execute(sa.text("CREATE TABLE bench_place (street TEXT PRIMARY KEY, bw TEXT, bc TEXT)"))
    conn.execute(sa.text("CREATE TABLE bench_minute (k INTEGER PRIMARY KEY, published_at TIMESTAMP WITH TIME ZONE,"
                         " closed_at TIMESTAMP WITH TIME ZONE)"))
    texts = []
    for v in range(VARIANTS):
        title, story = _story(rng, v)
        doc = need_search.document(_Need(title, story, "", "", "", "", _Household("")))  # type: ignore[arg-type]
        texts.append({"v": v, "t": title, "y": story, "tw": doc.title_words, "tc": doc.title_chars,
                      "bw": doc.body_words, "bc": doc.body_chars})
    conn.execute(sa.text("INSERT INTO bench_text VALUES (:v, :t, :y, :tw, :tc, :bw, :bc)"), texts)
    labels = []
    for c, category in enumerate(CATEGORIES):
        for g, group in enumerate(GROUPS):
            doc = need_search.document(_Need("", "", category, "wish", "", "", _Household(group)))  # type: ignore[arg-type]
            labels.append({"k": c * len(GROUPS) + g, "c": category, "g": group, "bw": doc.body_words,
                           "bc": doc.body_chars})
    conn.execute(sa.text("INSERT INTO bench_label VALUES (:k, :c, :g, :bw, :bc)"), labels)
    places = []
    for street, district in conn.execute(sa.text("SELECT code, parent_code FROM regions WHERE level = 'street'")):
        doc = need_search.document(_Need("", "", "", "", district, street, _Household("")))  # type: ignore[arg-type]
        places.append({"s": street, "bw": doc.body_words, "bc": doc.body_chars})
    conn.execute(sa.text("INSERT INTO bench_place VALUES (:s, :bw, :bc)"), places)
    conn.execute(sa.text("INSERT INTO bench_minute VALUES (:k, :p, :c)"),
                 [{"k": k, "p": now - timedelta(minutes=k), "c": now - timedelta(minutes=k) + timedelta(days=3)}
                  for k in range(MINUTES)])


def _drawn_from() -> str:
    """FROM the row numbers, joined to each need's drawn household, label (category and the household's
    group) and text: the same draws for the need and for its search row."""
    group = " ".join(f"WHEN '{g}' THEN {n}" for n, g in enumerate(GROUPS))
    return (f" FROM s JOIN households h ON h.id = {_draw(1, HOUSEHOLDS)} + 1"
            f" JOIN bench_label l ON l.k = {_draw(2, len(CATEGORIES))} * {len(GROUPS)} + (CASE h.\"group\" {group} END)"
            f" JOIN bench_text t ON t.v = {_draw(6, VARIANTS)}")


def _joined(*parts: str) -> str:
    """Token strings put together with one space, leaving out empty ones (as a document joins them)."""
    return " || ' ' || ".join(f"{p}" for p in parts)


def _secondary_indexes(conn: sa.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the tables' indexes that are not constraints (dropped while loading)."""
    names = ", ".join(f"'{t}'" for t in tables)
    if db.engine.dialect.name == "sqlite":
        query = (f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names})"
                 " AND sql IS NOT NULL")
    else:
        query = (f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                 f" AND tablename IN ({names}) AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    return [(name, sql) for name, sql in conn.execute(sa.text(query))]


def generate(rows: int, closed: int, now: datetime) -> dict[str, float]:
    """Households, `rows` published and `closed` closed needs, and their search rows, in set-based SQL.

    The same draws on both databases (`_draw` of the need's number): a household of 20,000 (so its
    street and group), a category, one of 10,000 titles and stories, a value of 1–3,000 yuan, 6 %
    urgent, a publication minute over 60 days, a light if open (2 % red, 10 % yellow; a closed need
    has none). The tables' secondary indexes are dropped while loading and made again after (the
    migrations' own definitions)."""
    conn = db.session.connection()
    conn.execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext, 'dibao',"
        " :g, :d, :s, 1, '某某', '', '', '', :now, :now)"),
        [{"id": i + 1, "ext": f"H{i + 1}", "d": street[1], "s": street[0], "g": GROUPS[i % len(GROUPS)], "now": now}
         for i, street in enumerate(_household_streets(conn))])
    _pieces(now)
    indexes = _secondary_indexes(conn, ("needs", "need_search"))
    for name, _sql in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    db.session.commit()
    total, today = rows + closed, now.date()
    spent = {"needs_s": 0.0, "search_s": 0.0, "index_s": 0.0}
    started = time.perf_counter()
    for first in range(1, total + 1, CHUNK):
        last = min(first + CHUNK - 1, total)
        t0 = time.perf_counter()
        conn = db.session.connection()
        conn.execute(sa.text(
            _series(first, last) +
            "INSERT INTO needs (id, household_id, district_code, street_code, kind, category, title, story, quantity,"
            " value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, closed_at, feedback,"
            " last_reason, light, created_at, updated_at)"
            f" SELECT i, h.id, h.district_code, h.street_code, 'wish', l.category, t.title, t.story, 1,"
            f" ({_draw(3, 3000)} + 1) * 100, {_draw(4, 100)} < 6,"
            f" CASE WHEN i > {rows} THEN 'closed' ELSE 'published' END, :cd, :fb, m.published_at,"
            f" CASE WHEN i > {rows} THEN m.closed_at END, '', '',"
            f" CASE WHEN i > {rows} THEN NULL WHEN {_draw(5, 100)} < 2 THEN 'red'"
            f" WHEN {_draw(5, 100)} < 12 THEN 'yellow' ELSE 'green' END,"
            " m.published_at, m.published_at"
            + _drawn_from() + f" JOIN bench_minute m ON m.k = {_draw(7, MINUTES)}"),
            {"cd": today + timedelta(days=10), "fb": today + timedelta(days=30)})
        t1 = time.perf_counter()
        conn.execute(sa.text(
            _series(first, last) +
            "INSERT INTO need_search (need_id, title_words, title_chars, body_words, body_chars)"
            f" SELECT i, t.tw, t.tc, {_joined('t.bw', 'l.bw', 'p.bw')}, {_joined('t.bc', 'l.bc', 'p.bc')}"
            + _drawn_from() + " JOIN bench_place p ON p.street = h.street_code"))
        db.session.commit()
        t2 = time.perf_counter()
        spent["needs_s"] += t1 - t0
        spent["search_s"] += t2 - t1
        elapsed = time.perf_counter() - started
        print(f"  {db.engine.dialect.name}: {last:,}/{total:,} needs and search rows, {elapsed:.0f} s, "
              f"about {elapsed / last * (total - last):.0f} s to go", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    conn = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        conn.execute(sa.text("SET maintenance_work_mem = '1GB'"))
    for _name, sql in indexes:
        conn.execute(sa.text(sql))
    for name in ("bench_text", "bench_label", "bench_place", "bench_minute"):
        conn.execute(sa.text(f"DROP TABLE {name}"))
    db.session.commit()
    spent["index_s"] = time.perf_counter() - t0
    _check_documents(total)
    return spent


def _household_streets(conn: sa.Connection) -> list[tuple[str, str]]:
    """Each household's (street, district): the streets in turn."""
    streets = list(conn.execute(sa.text("SELECT code, parent_code FROM regions WHERE level = 'street' ORDER BY code")))
    return [tuple(streets[i % len(streets)]) for i in range(HOUSEHOLDS)]  # type: ignore[misc]


def _check_documents(total: int) -> None:
    """The search rows put together in SQL are the ones the app writes for the stored needs (200 of
    them, spread over the table, both published and closed)."""
    from marketplace.needs import search as need_search
    from marketplace.needs.models import Need, NeedSearch

    sample = sorted({1, total, *range(1, total + 1, max(1, total // 200))})
    for need in db.session.scalars(sa.select(Need).where(Need.id.in_(sample))):
        doc, row = need_search.document(need), db.session.get(NeedSearch, need.id)
        assert row is not None and (doc.title_words, doc.title_chars, doc.body_words, doc.body_chars) == (
            row.title_words, row.title_chars, row.body_words, row.body_chars), f"need {need.id}'s search row differs"
    db.session.rollback()


def make_staff() -> None:
    """A staff member of 越秀区, made as the tests make one (the password rule applies)."""
    from marketplace.accounts import service as accounts
    from marketplace.accounts.models import Role

    accounts.create_user(STAFF_EMAIL, PASSWORD, Role.STAFF, region_code=DISTRICT)
    db.session.commit()


def seeded(url: str, rows: int, closed: int) -> bool:
    """Whether the database holds a kept data set of `rows` + `closed` needs with its staff member."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            needs = conn.execute(sa.text("SELECT count(*) FROM needs")).scalar()
            staff = conn.execute(sa.text("SELECT count(*) FROM users WHERE email = :e"), {"e": STAFF_EMAIL}).scalar()
            return needs == rows + closed and staff == 1
    except sa.exc.DBAPIError:  # no tables yet
        return False
    finally:
        engine.dispose()


def prepare(backend: str, args: argparse.Namespace) -> tuple[str, dict]:
    """The scratch database's URL, seeded (or a kept one reused), with the seeding's figures."""
    url = f"sqlite:///{SQLITE_PATH}" if backend == "sqlite" else f"{PG_URL}?options=-csearch_path%3D{args.schema}"
    reused = args.keep and seeded(url, args.rows, args.closed)
    if not reused:
        wipe(backend, args.schema)
    started = time.perf_counter()
    app = app_for(url)
    info: dict = {"reused": reused}
    with app.app_context():
        if not reused:
            info.update(generate(args.rows, args.closed, clock.now()))
            make_staff()
        settle()  # fresh statistics: the planner picks the same plans on every run
        for engine in db.engines.values():
            engine.dispose()
    info["seed_s"] = time.perf_counter() - started
    return url, info


def wipe(backend: str, schema: str) -> None:
    """No data set left: the file removed, or the schema emptied."""
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


# --- the cases ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One list a reader fetches, what its first answer must show, and how many the data set holds.

    `count` is SQL over needs whose count (capped at a page) is the number of cards; `shows` a
    pattern each card's text (its HTML, when `markup`) must match."""

    name: str
    path: str
    count: str
    shows: str = ""
    markup: bool = False
    staff: bool = False
    per_page: int = 20


STREETS_OF_DISTRICT = "a street of the district"  # a card names its street (Need.place)
PUBLISHED = "SELECT count(*) FROM needs WHERE status = 'published'"
CASES = [
    Case("first page", "/needs", PUBLISHED),
    Case("district (越秀区)", f"/needs?district={DISTRICT}", f"{PUBLISHED} AND district_code = '{DISTRICT}'",
         STREETS_OF_DISTRICT),
    Case("street (北京街道)", f"/needs?street={STREET}", f"{PUBLISHED} AND street_code = '{STREET}'", "北京街道"),
    Case("urgent only", "/needs?urgent=1", f"{PUBLISHED} AND is_urgent", "need-card urgent", markup=True),
    Case("search, common (轮椅)", f"/needs?q={quote('轮椅')}",
         f"{PUBLISHED} AND (title LIKE '%轮椅%' OR story LIKE '%轮椅%')", "轮椅"),
    Case("search, rare (手风琴)", f"/needs?q={quote(RARE)}",
         f"{PUBLISHED} AND (title LIKE '%{RARE}%' OR story LIKE '%{RARE}%')", RARE),
    Case("search, no match (钢琴课)", f"/needs?q={quote('钢琴课')}", f"{PUBLISHED} AND story LIKE '%钢琴课%'"),
    Case(f"value {MIN_YUAN}–{MAX_YUAN} yuan", f"/needs?min={MIN_YUAN}&max={MAX_YUAN}",
         f"{PUBLISHED} AND value_fen BETWEEN {MIN_YUAN * 100} AND {MAX_YUAN * 100}", "value"),
    Case("page 50 by cursor", "", PUBLISHED),  # the path is found by following the pages
    Case("staff list, light red", "/staff/needs/?light=red",
         f"SELECT count(*) FROM needs WHERE district_code = '{DISTRICT}' AND light = 'red'", "light-red",
         markup=True, staff=True, per_page=30),
]
PAGE50 = "page 50 by cursor"


def expected(url: str, case: Case) -> tuple[int, str]:
    """How many cards the case's first answer must have, and the pattern each must match."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(case.count)).scalar() or 0
        found = max(0, min(20, n - 49 * 20)) if case.name == PAGE50 else min(case.per_page, n)
        shows = case.shows
        if shows == STREETS_OF_DISTRICT:
            shows = "|".join(conn.execute(sa.text("SELECT name FROM regions WHERE parent_code = :d"),
                                          {"d": DISTRICT}).scalars())
    engine.dispose()
    return found, shows


def items(page: str, staff: bool) -> list[str]:
    """The cards of a public list, or the rows of a staff list, as HTML."""
    if staff:
        body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
        return re.findall(r"<tr>.*?</tr>", body, re.S)
    return re.findall(r'<article class="need-card.*?</article>', page, re.S)


def check(case: Case, path: str, status: int, body: bytes, want: int, shows: str) -> None:
    """The answer is the list the case asks for: 200, `want` cards, each showing what was chosen."""
    page = body.decode()
    if status != 200:
        raise RuntimeError(f"{case.name}: GET {path} answered {status}")
    found = items(page, case.staff)
    if len(found) != want:
        raise RuntimeError(f"{case.name}: {len(found)} cards on {path}, the data set has {want}")
    for card in found:
        if case.shows == "value":
            yuan = float(re.search(r"<strong>\D*([\d,.]+)</strong>", card).group(1).replace(",", ""))  # type: ignore[union-attr]
            if not MIN_YUAN <= yuan <= MAX_YUAN:
                raise RuntimeError(f"{case.name}: a card of ¥{yuan} on {path}")
        elif shows and not re.search(shows, card if case.markup else re.sub(r"<[^>]+>", "", card)):
            raise RuntimeError(f"{case.name}: a card without {shows!r} on {path}")


def page_50(address: str) -> str:
    """The path of the 50th page of /needs, by following each page's next link (its `after=` cursor)."""
    s, path = Session(address), "/needs"
    for _ in range(49):
        status, body = s.request("GET", path)
        found = re.search(r'href="(/needs\?[^"]*after=[^"]*)"', body.decode())
        if status != 200 or not found:
            raise RuntimeError(f"no next page after {path} ({status})")
        path = html.unescape(found.group(1))
    return path


def staff_cookie(address: str) -> str:
    """The staff member's session cookie, through the real sign-in form."""
    s = Session(address)
    _status, page = s.request("GET", "/login")
    status, _ = s.request("POST", "/login", {"email": STAFF_EMAIL, "password": PASSWORD, "csrf_token": csrf_of(page)})
    if status != 302:
        raise RuntimeError(f"staff sign-in failed: {status}")
    return s.cookie


# --- the clients ----------------------------------------------------------------------------------

def sequential(address: str, path: str, cookie: str, repeat: int) -> dict:
    """One client, one request at a time: p50 and p95 in ms of `repeat` requests after 3 warm-ups."""
    s = Session(address, cookie)
    times = []
    for n in range(3 + repeat):
        t0 = time.perf_counter()
        status, _body = s.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        if n >= 3:
            times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))]}


def _client(address: str, path: str, cookie: str, deadline: float, out: list) -> None:
    s = Session(address, cookie)
    done, failed, first = 0, 0, time.perf_counter()
    while time.perf_counter() < deadline:
        status, _body = s.request("GET", path)
        done += 1
        failed += status != 200
    out.append((done, failed, first, time.perf_counter()))


def _client_process(address: str, path: str, cookie: str, threads: int, seconds: float, queue) -> None:  # type: ignore[no-untyped-def]
    deadline, out = time.perf_counter() + seconds, []
    workers = [threading.Thread(target=_client, args=(address, path, cookie, deadline, out)) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    queue.put(out)


def concurrent(address: str, path: str, cookie: str, *, processes: int, threads: int, seconds: float) -> dict:
    """`processes` × `threads` clients, each a keep-alive connection repeating the GET for `seconds`:
    requests/s from the first request sent to the last answer received (process start-up excluded).

    Processes, not only threads, so the clients' own Python is not the bottleneck (the GIL)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client_process, args=(address, path, cookie, threads, seconds, queue))
             for _ in range(processes)]
    for proc in procs:
        proc.start()
    results = [item for _ in procs for item in queue.get()]
    for proc in procs:
        proc.join()
    requests, failed = sum(r[0] for r in results), sum(r[1] for r in results)
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    if failed:
        raise RuntimeError(f"{failed} of {requests} GET {path} did not answer 200")
    return {"requests": requests, "seconds": elapsed, "rate": requests / elapsed}


def measure(address: str, path: str, cookie: str, args: argparse.Namespace) -> dict:
    """A case's p50/p95 from one client and its rate from many, after a short warm-up of every worker."""
    clients = {"processes": args.processes, "threads": args.threads}
    concurrent(address, path, cookie, **clients, seconds=min(1.0, args.seconds))
    return {**sequential(address, path, cookie, args.repeat),
            **concurrent(address, path, cookie, **clients, seconds=args.seconds)}


def ceiling(args: argparse.Namespace, port: int) -> dict:
    """scripts/bench_hello.py's 20-row table under the same gunicorn settings and clients."""
    # From the project's root like the app: gunicorn reads ./gunicorn.conf.py of its working directory,
    # and scripts/ has one (gthread workers, an access log), which would give the ceiling other settings.
    with gunicorn("scripts.bench_hello:app", ROOT, port, {}, args.workers) as address:
        return measure(address, "/table", "", args)


# --- one database ---------------------------------------------------------------------------------

def run_backend(backend: str, args: argparse.Namespace, port: int) -> dict:
    """Seed (or reuse), serve, check every case's first answer, then measure each case."""
    url, info = prepare(backend, args)
    report: dict = {"backend": backend, **info, "cases": {}}
    try:
        env = {**app_env(url), "RATELIMIT_KEY_PREFIX": f"bench-browse-{os.getpid()}",
               "SIGN_IN_THROTTLE_PREFIX": f"bench-browse-signin-{os.getpid()}"}
        # The second factor is its own sign-in step, not what is measured: off for the staff member.
        with gunicorn(_app({"REQUIRE_SECOND_FACTOR": False}), ROOT, port, env, args.workers) as address:
            cookie = staff_cookie(address)
            for case in CASES:
                path = page_50(address) if case.name == PAGE50 else case.path
                who = cookie if case.staff else ""
                status, body = Session(address, who).request("GET", path)
                check(case, path, status, body, *expected(url, case))
                report["cases"][case.name] = {"path": path, "cards": len(items(body.decode(), case.staff)),
                                              **measure(address, path, who, args)}
                figures = report["cases"][case.name]
                print(f"  {backend}: {case.name}: p50 {figures['p50_ms']:.1f} ms, {figures['rate']:.0f} req/s",
                      file=sys.stderr, flush=True)
    finally:
        if not args.keep and backend == "sqlite":
            wipe(backend, args.schema)
        elif not args.keep:
            _drop(args.schema)
    return report


def _drop(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


# --- the report -----------------------------------------------------------------------------------

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def table(results: dict) -> str:
    """The markdown table: each case on each database, and the ceiling."""
    backends = [r["backend"] for r in results["backends"]]
    top = results["ceiling"]
    c = results["concurrency"]
    head = "| case |" + "".join(f" {NAMES[b]} p50 / p95 ms | {NAMES[b]} req/s (c={c}) | % of ceiling |"
                                 for b in backends)
    lines = [head, "|---|" + "---:|---:|---:|" * len(backends)]

    def cells(f: dict) -> str:
        return (f" {f['p50_ms']:.1f} / {f['p95_ms']:.1f} | {f['rate']:.0f} |"
                f" {100 * f['rate'] / top['rate']:.0f} % |")

    lines.append("| ceiling: Flask + Jinja, 20-row table |" + cells(top) * len(backends))
    for case in CASES:
        lines.append(f"| {case.name} |" + "".join(cells(r["cases"][case.name]) for r in results["backends"]))
    return "\n".join(lines)


def summary(results: dict) -> str:
    """The table with what it was measured on."""
    lines = [f"\nLists a reader browses, {results['rows']:,} published needs + {results['closed']:,} closed,"
             " over HTTP: "
             f"gunicorn {results['workers']} sync workers, {results['repeat']} sequential requests, "
             f"{results['seconds']:g} s at c={results['concurrency']} "
             f"({results['processes']} processes × {results['threads']} threads); commit {results['commit']}, "
             f"{os.cpu_count()} CPUs, load average {results['load_start']:.2f} at start, "
             f"{results['load_end']:.2f} at end\n", table(results), ""]
    for r in results["backends"]:
        if r["reused"]:
            lines.append(f"{NAMES[r['backend']]}: kept data set reused ({r['seed_s']:.1f} s to migrate and analyse)")
        else:
            lines.append(f"{NAMES[r['backend']]}: seeding {r['seed_s']:.1f} s (needs {r['needs_s']:.1f} s, search rows "
                         f"{r['search_s']:.1f} s, indexes made again {r['index_s']:.1f} s)")
    ceil = results["ceilings"]
    lines.append(f"ceiling {ceil[0]:.0f} req/s before, {ceil[1]:.0f} after (the higher counts)")
    return "\n".join(lines)


def main() -> int:
    """Run every case on each database and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="published needs")
    parser.add_argument("--closed", type=int, help="closed needs (default a tenth of --rows)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30, help="sequential requests per case (after 3 warm-ups)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each case at concurrency")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=2, help="client threads (connections) per process")
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--schema", default="bench_browse", help="PostgreSQL scratch schema")
    parser.add_argument("--keep", action="store_true", help="keep the data set, and reuse a kept one of --rows")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    args = parser.parse_args()
    args.closed = args.rows // 10 if args.closed is None else args.closed
    if not args.schema.isidentifier():
        parser.error("--schema must be an identifier")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results: dict = {"rows": args.rows, "closed": args.closed, "workers": args.workers, "repeat": args.repeat,
                     "seconds": args.seconds,
                     "processes": args.processes, "threads": args.threads,
                     "concurrency": args.processes * args.threads, "commit": commit.stdout.strip(),
                     "load_start": os.getloadavg()[0], "backends": []}
    before = ceiling(args, args.port)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for n, backend in enumerate(backends):
        report = run_backend(backend, args, args.port + 1 + n)
        report["rows"] = args.rows
        results["backends"].append(report)
    after = ceiling(args, args.port)
    results["ceiling"] = max(before, after, key=lambda c: c["rate"])
    results["ceilings"] = [before["rate"], after["rate"]]
    results["load_end"] = os.getloadavg()[0]
    print(summary(results))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
