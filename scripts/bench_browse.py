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
    """What `needs.search.document` reads of a need. Built from the row just inserted: loading
    1.1 million ORM objects back would cost more than segmenting them (checked equal in `_check_documents`)."""

    title: str
    story: str
    category: str
    kind: str
    district_code: str
    street_code: str
    household: _Household


NEED_INSERT = sa.text(
    "INSERT INTO needs (id, household_id, district_code, street_code, kind, category, title, story, quantity,"
    " value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, closed_at, feedback, last_reason,"
    " light, created_at, updated_at) VALUES (:id, :h, :d, :s, 'wish', :cat, :t, :y, 1, :v, :u, :st, :cd, :fb,"
    " :p, :c, '', '', :l, :p, :p)")


def generate(rows: int, now: datetime) -> dict[str, float]:
    """Households, needs and their search rows in batches of 20,000, one commit each; returns the
    seconds spent inserting needs and writing search rows (segmentation included)."""
    from marketplace.needs import search as need_search
    from marketplace.needs.models import NeedSearch

    rng = random.Random(16)
    conn = db.session.connection()
    streets = list(conn.execute(sa.text("SELECT code, parent_code FROM regions WHERE level = 'street' ORDER BY code")))
    households = [(streets[i % len(streets)], GROUPS[i % len(GROUPS)]) for i in range(HOUSEHOLDS)]
    conn.execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (:id, 'bench', :ext, 'dibao',"
        " :g, :d, :s, 1, '某某', '', '', '', :now, :now)"),
        [{"id": i + 1, "ext": f"H{i + 1}", "d": street[1], "s": street[0], "g": group, "now": now}
         for i, (street, group) in enumerate(households)])
    db.session.commit()
    total, today = rows + rows // 10, now.date()
    spent = {"needs_s": 0.0, "search_s": 0.0}
    started = time.perf_counter()
    for start in range(1, total + 1, BATCH):
        t0 = time.perf_counter()
        batch, docs = [], []
        for i in range(start, min(start + BATCH, total + 1)):
            h = rng.randrange(HOUSEHOLDS)
            (street, district), group = households[h]
            title, story = _story(rng, i)
            category = CATEGORIES[rng.randrange(len(CATEGORIES))]
            published = now - timedelta(days=rng.uniform(0, 60))
            closed = i > rows
            light = rng.random()
            batch.append({"id": i, "h": h + 1, "d": district, "s": street, "cat": category, "t": title, "y": story,
                          "v": rng.randint(1, 3000) * 100, "u": rng.random() < 0.06,
                          "st": "closed" if closed else "published", "cd": today + timedelta(days=10),
                          "fb": today + timedelta(days=30), "p": published,
                          "c": published + timedelta(days=3) if closed else None,
                          "l": "red" if light < 0.02 else "yellow" if light < 0.12 else "green"})
            docs.append(_Need(title, story, category, "wish", district, street, _Household(group)))
        db.session.execute(NEED_INSERT, batch)
        t1 = time.perf_counter()
        search_rows = []
        for row, need in zip(batch, docs, strict=True):
            doc = need_search.document(need)  # type: ignore[arg-type]  # reads only _Need's fields
            search_rows.append({"need_id": row["id"], "title_words": doc.title_words, "title_chars": doc.title_chars,
                                "body_words": doc.body_words, "body_chars": doc.body_chars})
        db.session.execute(sa.insert(NeedSearch), search_rows)
        db.session.commit()
        t2 = time.perf_counter()
        spent["needs_s"] += t1 - t0
        spent["search_s"] += t2 - t1
        done = min(start + BATCH - 1, total)
        elapsed = time.perf_counter() - started
        print(f"  {db.engine.dialect.name}: {done:,}/{total:,} needs and search rows, {elapsed:.0f} s, "
              f"about {elapsed / done * (total - done):.0f} s to go", file=sys.stderr, flush=True)
    _check_documents()
    return spent


def _check_documents() -> None:
    """The search rows written from plain rows are the ones the app writes for the stored needs."""
    from marketplace.needs import search as need_search
    from marketplace.needs.models import Need, NeedSearch

    for need in db.session.scalars(sa.select(Need).order_by(Need.id).limit(50)):
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


def seeded(url: str, rows: int) -> bool:
    """Whether the database holds a kept data set of `rows` needs with its staff member."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            needs = conn.execute(sa.text("SELECT count(*) FROM needs")).scalar()
            staff = conn.execute(sa.text("SELECT count(*) FROM users WHERE email = :e"), {"e": STAFF_EMAIL}).scalar()
            return needs == rows + rows // 10 and staff == 1
    except sa.exc.DBAPIError:  # no tables yet
        return False
    finally:
        engine.dispose()


def prepare(backend: str, args: argparse.Namespace) -> tuple[str, dict]:
    """The scratch database's URL, seeded (or a kept one reused), with the seeding's figures."""
    url = f"sqlite:///{SQLITE_PATH}" if backend == "sqlite" else f"{PG_URL}?options=-csearch_path%3D{args.schema}"
    reused = args.keep and seeded(url, args.rows)
    if not reused:
        wipe(backend, args.schema)
    started = time.perf_counter()
    app = app_for(url)
    info: dict = {"reused": reused}
    with app.app_context():
        if not reused:
            info.update(generate(args.rows, clock.now()))
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
    lines = [f"\nLists a reader browses, {results['rows']:,} published needs (+10 % closed), over HTTP: "
             f"gunicorn {results['workers']} sync workers, {results['repeat']} sequential requests, "
             f"{results['seconds']:g} s at c={results['concurrency']} "
             f"({results['processes']} processes × {results['threads']} threads); commit {results['commit']}, "
             f"{os.cpu_count()} CPUs, load average {results['load_start']:.2f} at start, "
             f"{results['load_end']:.2f} at end\n", table(results), ""]
    for r in results["backends"]:
        if r["reused"]:
            lines.append(f"{NAMES[r['backend']]}: kept data set reused ({r['seed_s']:.1f} s to migrate and analyse)")
        else:
            total = r["rows"] + r["rows"] // 10
            lines.append(f"{NAMES[r['backend']]}: seeding {r['seed_s']:.1f} s (needs {r['needs_s']:.1f} s, search rows "
                         f"{r['search_s']:.1f} s = {1e6 * r['search_s'] / total:.0f} µs per need)")
    ceil = results["ceilings"]
    lines.append(f"ceiling {ceil[0]:.0f} req/s before, {ceil[1]:.0f} after (the higher counts)")
    return "\n".join(lines)


def main() -> int:
    """Run every case on each database and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="published needs (plus a tenth closed)")
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
    if not args.schema.isidentifier():
        parser.error("--schema must be an identifier")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results: dict = {"rows": args.rows, "workers": args.workers, "repeat": args.repeat, "seconds": args.seconds,
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
