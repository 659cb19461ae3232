"""Load test of meal booking and redemption over HTTP, on PostgreSQL and SQLite, against a Flask ceiling.

For each database it makes a scratch database (a file, or a schema of its own), migrates and seeds it
(a company, outlets, approved pledges, an outlet sign-in, vouchers for today), starts gunicorn with
4 sync workers on `wsgi:app`, and drives it from client processes with threads and keep-alive
connections (stdlib http.client): a minimal Flask "hello" app (scripts/bench_hello.py) under the same
gunicorn settings is the ceiling, measured before and after the app's phases (the higher one counts,
so a busy moment never flatters the app). Phases: redemption as the page's script sends it (JSON
answer) and as a plain form post (HTML answer) — every code scanned twice, by two different clients
at about the same moment, at 20 outlets, each with its own signed-in counter —, booking, and an
oversell storm (5 × quota bookings at once on a small quota). Afterwards it checks in SQL: no double
redemption, no oversold day, each day's redeemed counter equal to its redeemed vouchers; and on the
clients' side that every code was valid exactly once.

    .venv/bin/python scripts/bench_meals.py                      # both databases
    .venv/bin/python scripts/bench_meals.py --backends sqlite --seconds 5
    .venv/bin/python scripts/bench_meals.py --backends sqlite --compare page   # variants side by side

`--compare` starts one server per variant of the app (its config on top of the environment's) on the
same seeded database and lets the servers take turns, round by round, on the same clients.

PostgreSQL comes from BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
rate limits count in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/0), as with several workers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET, HASH_KEY = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
PASSWORD = "bench-password-1"
STORM_QUOTA = 50


# --- the scratch database -------------------------------------------------------------------------

@contextmanager
def scratch_database(backend: str):
    """A fresh database URL for one run; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-meals-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    from tests.conftest import drop_schema, private_schema_url

    schema = f"bench_meals_{os.getpid()}"
    yield private_schema_url(PG_URL, schema)
    drop_schema(PG_URL, schema)


def seed(url: str, vouchers_wanted: int, outlets_wanted: int) -> dict:
    """Migrate, load regions, and create what the phases use: a booking outlet, a small-quota outlet,
    and `outlets_wanted` outlets with a counter sign-in each and today's vouchers shared among them."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts import service as accounts
    from marketplace.accounts.models import Role
    from marketplace.extensions import db
    from marketplace.meals import codes, outlets, pledges
    from marketplace.meals.models import MealDay, Voucher
    from marketplace.meals.phones import phone_hash
    from marketplace.meals.timing import local_date, serving_window
    from marketplace.meals.vouchers import token_hash
    from marketplace.organisations import credit_code
    from marketplace.organisations import service as organisations
    from marketplace.regions.service import import_regions
    from scripts.bench_support import settle

    app = create_app({"SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions((ROOT / "marketplace/data/regions_guangzhou.csv").read_text(encoding="utf-8"))
        admin = accounts.create_user("admin@bench.example", PASSWORD, Role.ADMIN)
        company = organisations.register(organisations.Registration(
            name="压测餐饮有限公司", kind="company", credit_code=credit_code.make("91440104MA0000001"),
            contact_name="压测", contact_phone="020-83330000", contact_email="c@bench.example",
            member_email="member@bench.example", member_password=PASSWORD, region_codes=["440104"],
            categories=["meals"]))
        organisations.review(company, actor=admin, approve=True)
        member = company.members[0]
        today = local_date(datetime.now(UTC))
        made = {}
        for key in ("book", "storm", *(f"redeem{k}" for k in range(outlets_wanted))):
            outlet = outlets.create_outlet(actor=member, details=outlets.OutletDetails(
                name=f"压测{key}", address="北京路1号", street_code="440104003", serves_from=wall(0, 0),
                serves_until=wall(23, 59, 59)))
            pledge = pledges.create_pledge(outlet, actor=member, meals_per_day=STORM_QUOTA, starts_on=today,
                                           ends_on=today, weekdays=127, today=today)
            pledges.review_pledge(pledge, actor=admin, approve=True, now=datetime.now(UTC))
            made[key] = outlet
        db.session.execute(sa_update(MealDay, made["book"].id, 10**7))
        wanted: set[str] = set()
        while len(wanted) < vouchers_wanted:
            wanted.add(codes.new_code(codes.VOUCHER_LENGTH))
        dealt = sorted(wanted)
        jobs = []  # (code, index of the outlet whose counter scans it), outlets taking turns
        for k in range(outlets_wanted):
            outlet = made[f"redeem{k}"]
            counter = accounts.create_user(f"counter{k}@bench.example", PASSWORD, Role.OUTLET_STAFF,
                                           organisation_id=company.id)
            outlets.assign_staff(counter, outlet)
            start, end = serving_window(outlet, today)
            mine = dealt[k::outlets_wanted]
            rows = [{"code": code, "token_hash": token_hash(code), "outlet_id": outlet.id, "serve_date": today,
                     "valid_from": start, "valid_until": end, "phone_hash": phone_hash(f"138{k:03d}{n:05d}"),
                     "status": "booked", "booked_at": start} for n, code in enumerate(mine)]
            db.session.execute(Voucher.__table__.insert(), rows)
            db.session.execute(sa_update(MealDay, outlet.id, 10**7, booked=len(rows)))
            jobs.append([(code, k) for code in mine])
        settle()  # otherwise autovacuum may wake in the middle of a phase on one run and not on another
        interleaved = [job for group in zip(*jobs, strict=False) for job in group]
        result = {"outlets": {k: o.id for k, o in made.items()}, "jobs": interleaved, "today": today.isoformat(),
                  "counters": outlets_wanted}
        db.engine.dispose()
    return result


def sa_update(model, outlet_id: int, quota: int, booked: int | None = None):  # type: ignore[no-untyped-def]
    """Raise a bench outlet's quota (pledges stop at 1,000 meals a day)."""
    import sqlalchemy as sa

    values = {"quota": quota} if booked is None else {"quota": quota, "booked": booked}
    return sa.update(model).where(model.outlet_id == outlet_id).values(**values)


def check_sql(url: str, info: dict) -> dict:
    """Zero double redemptions and no oversold day, counted by the database itself."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = conn.execute
        result = {
            "double_redemptions": q(sa.text(
                "SELECT count(*) FROM (SELECT object_id FROM audit_events WHERE action = 'meal.redeem' "
                "GROUP BY object_id HAVING count(*) > 1) AS d")).scalar(),
            "redeemed_vouchers": q(sa.text("SELECT count(*) FROM vouchers WHERE status = 'redeemed'")).scalar(),
            "redeem_audit_rows": q(sa.text("SELECT count(*) FROM audit_events WHERE action = 'meal.redeem'")).scalar(),
            "oversold_counter_rows": q(sa.text("SELECT count(*) FROM meal_days WHERE booked > quota")).scalar(),
            "oversold_days_by_vouchers": q(sa.text(
                "SELECT count(*) FROM (SELECT v.outlet_id, v.serve_date FROM vouchers v JOIN meal_days d "
                "ON d.outlet_id = v.outlet_id AND d.serve_date = v.serve_date WHERE v.status <> 'cancelled' "
                "GROUP BY v.outlet_id, v.serve_date, d.quota HAVING count(*) > d.quota) AS o")).scalar(),
            "day_counters_off": q(sa.text(
                "SELECT count(*) FROM meal_days d WHERE d.redeemed <> (SELECT count(*) FROM vouchers v WHERE "
                "v.outlet_id = d.outlet_id AND v.serve_date = d.serve_date AND v.status = 'redeemed')")).scalar(),
            "storm_vouchers": q(sa.text("SELECT count(*) FROM vouchers WHERE outlet_id = :o"),
                                {"o": info["outlets"]["storm"]}).scalar(),
            "vouchers_booked_over_http": q(sa.text(
                "SELECT count(*) FROM vouchers WHERE booked_at > valid_from")).scalar(),
        }
    engine.dispose()
    return result


# --- servers --------------------------------------------------------------------------------------

@contextmanager
def gunicorn(module: str, chdir: Path, port: int, env: dict[str, str], workers: int):
    """gunicorn with `workers` sync workers on 127.0.0.1:port; stopped (by its own pid) afterwards.

    `module` is gunicorn's app spec: `wsgi:app`, or a factory call with literal arguments."""
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(chdir), "--log-level", "warning", module]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=str(chdir))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn {module} did not start")
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def app_env(url: str) -> dict[str, str]:
    """The app's settings for the run: production-like, but plain HTTP and limits no bench can hit."""
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY, "SESSION_COOKIE_SECURE": "0",
            "RATELIMIT_STORAGE_URI": REDIS_URL, "MEAL_BOOKING_RATE_LIMIT": "100000000 per minute"}


# --- the client -----------------------------------------------------------------------------------

class Session:
    """One keep-alive connection with a cookie jar of one cookie (the session)."""

    def __init__(self, address: str, cookie: str = "") -> None:
        host, port = address.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict | None = None, json_answer: bool = False) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if json_answer:
            headers["Accept"] = "application/json"
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a server that closed an idle keep-alive connection gets one retry
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("shanlian_session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data


def csrf_of(html: bytes) -> str:
    """The CSRF token of a page's form."""
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1).decode()


def sign_in(address: str, k: int) -> tuple[str, str]:
    """Outlet k's counter: its session cookie and the CSRF token of its scan form."""
    s = Session(address)
    _status, page = s.request("GET", "/login")
    status, _ = s.request("POST", "/login", {"email": f"counter{k}@bench.example", "password": PASSWORD,
                                             "csrf_token": csrf_of(page)})
    if status != 302:
        raise RuntimeError(f"sign-in failed: {status}")
    _status, page = s.request("GET", "/outlet/")
    return s.cookie, csrf_of(page)


def _thread_jobs(kind: str, address: str, shared: dict, jobs: list, deadline: float, out: list) -> None:
    s = Session(address, shared.get("cookie", ""))
    token = shared.get("csrf", "")
    if kind == "book":  # each resident's browser: a page with its own session and token
        _status, page = s.request("GET", shared["book_path"])
        token = csrf_of(page)
    lat, outcomes = [], []
    items = iter(jobs) if jobs else None
    while True:
        if items is not None:
            job = next(items, None)
            if job is None:
                break
        elif time.perf_counter() >= deadline:
            break
        else:
            job = None
        t0 = time.perf_counter()
        if kind == "hello":
            status, body = s.request("GET", "/")
            outcome = status
        elif kind in ("redeem", "redeem_json"):
            code, k = job
            s.cookie = shared["cookies"][k]
            path = "/outlet/redeem" if kind == "redeem_json" else "/outlet/"  # the scanner's endpoint, or the page
            status, body = s.request("POST", path, {"code": code, "csrf_token": shared["tokens"][k]},
                                     json_answer=kind == "redeem_json")
            found = re.search(rb'"result":\s*"(\w+)"' if kind == "redeem_json" else rb'data-result="(\w+)"', body)
            outcome = (code, found.group(1).decode() if found else f"http {status}")
        else:  # book
            n = shared["phones"].pop() if job is None else 0
            phone = job if job is not None else f"139{n:08d}"
            path = shared["book_path"] if job is not None else shared["book_paths"][n % len(shared["book_paths"])]
            status, _body = s.request("POST", path, {"day": shared["today"], "phone": phone, "csrf_token": token})
            outcome = status
        lat.append(time.perf_counter() - t0)
        outcomes.append(outcome)
    out.append((lat, outcomes))


def _process(kind: str, address: str, shared: dict, job_lists: list[list], seconds: float, queue) -> None:
    deadline = time.perf_counter() + seconds
    if kind == "book" and not job_lists[0]:
        base = shared["phone_base"]
        shared = {**shared, "phones": list(range(base, base + 1_000_000))}
    out: list = []
    threads = [threading.Thread(target=_thread_jobs, args=(kind, address, shared, jobs, deadline, out))
               for jobs in job_lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(out)


def load(kind: str, address: str, *, processes: int, threads: int, seconds: float = 0, jobs: list | None = None,
         shared: dict | None = None, keep_latencies: bool = False) -> dict:
    """Run one phase from `processes` × `threads` clients; jobs (if given) are dealt round-robin."""
    shared = dict(shared or {})
    slots = processes * threads
    dealt = [[] for _ in range(slots)]
    for i, job in enumerate(jobs or []):
        dealt[i % slots].append(job)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = []
    started = time.perf_counter()
    for p in range(processes):
        mine = dealt[p * threads:(p + 1) * threads]
        proc_shared = {**shared, "phone_base": 10_000_000 + p * 1_000_000 + (shared.get("phone_base") or 0)}
        proc = ctx.Process(target=_process, args=(kind, address, proc_shared, mine, seconds, queue))
        proc.start()
        procs.append(proc)
    results = [item for _ in procs for item in queue.get()]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    outcomes = [o for _, outs in results for o in outs]
    return {"requests": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed,
            **({"latencies": latencies} if keep_latencies else {}),
            "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * latencies[int(0.95 * len(latencies)) - 1],
            "p99_ms": 1000 * latencies[int(0.99 * len(latencies)) - 1],
            "outcomes": outcomes}


REDEEM_PHASES = ("redeem_json", "redeem", "redeem_page_read_phase", "redeem_page_one")


# --- one database ---------------------------------------------------------------------------------

def ceiling(args: argparse.Namespace, port: int) -> dict:
    """The minimal Flask app under the same gunicorn settings and the same clients."""
    with gunicorn("bench_hello:app", ROOT / "scripts", port, {}, args.workers) as address:
        load("hello", address, processes=args.processes, threads=args.threads, seconds=2)  # warm-up
        return load("hello", address, processes=args.processes, threads=args.threads, seconds=args.seconds)


def _app(config: dict) -> str:
    """gunicorn's spec of the app with `config` on top of the environment's."""
    return f"marketplace:create_app({config!r})" if config else "wsgi:app"


# What --compare runs side by side: the phase, then each variant's name and app config.
# (Commit 025a2b5 also had "redemption": the scanner on PostgreSQL's one-statement path against the
# step path; docs/BENCHMARKS.md has its figures and why one path remains.)
COMPARISONS = {
    # The outlet page's form post on SQLite: the page rendered after the redemption's commit, or
    # everything in one write transaction.
    "page": ("redeem", {"page_read_phase": {}, "page_one": {"MEAL_OUTLET_PAGE": "one"}}),
}


def compare(args: argparse.Namespace, kind: str, addresses: dict[str, str], jobs: list, shared: dict) -> dict:
    """Variants side by side: the same codes dealt into rounds, the servers taking turns A B | B A |
    A B … (so a busy moment of the machine falls on each), the same clients."""
    names = list(addresses)
    rounds = 2 * args.rounds
    order = [name for r in range(rounds) for name in (names if r % 2 == 0 else names[::-1])]
    size = len(jobs) // len(order)
    merged: dict[str, dict] = {name: {"latencies": [], "seconds": 0.0, "outcomes": [], "codes": 0, "rounds": []}
                               for name in names}
    for r, name in enumerate(order):
        chunk = jobs[r * size:(r + 1) * size]
        scans = [job for job in chunk for _ in (1, 2)]  # every code twice, adjacent: two clients race
        phase = load(kind, addresses[name], processes=args.processes, threads=args.threads, jobs=scans,
                     shared=shared, keep_latencies=True)
        into = merged[name]
        into["latencies"] += phase.pop("latencies")
        into["seconds"] += phase["seconds"]
        into["outcomes"] += phase.pop("outcomes")
        into["codes"] += len(chunk)
        into["rounds"].append(round(phase["rate"]))
    result = {}
    for name, into in merged.items():
        latencies = sorted(into.pop("latencies"))
        result[f"{kind}_{name}"] = {
            **into, "requests": len(latencies), "rate": len(latencies) / into["seconds"],
            "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * latencies[int(0.95 * len(latencies)) - 1],
            "p99_ms": 1000 * latencies[int(0.99 * len(latencies)) - 1]}
    return result


def run_backend(backend: str, args: argparse.Namespace, port: int) -> dict:
    """All phases against one database; returns the figures and the SQL checks."""
    with scratch_database(backend) as url:
        info = seed(url, args.vouchers, args.outlets)
        report: dict = {"backend": backend, "load_before": os.getloadavg()[0]}
        report["hello_before"] = ceiling(args, port)
        if args.compare:
            return _compare_backend(report, url, info, args, port)
        with gunicorn("wsgi:app", ROOT, port + 1, app_env(url), args.workers) as address:
            signed = [sign_in(address, k) for k in range(info["counters"])]
            book_path = f"/meals/outlets/{info['outlets']['book']}/book"
            shared = {"cookies": [c for c, _t in signed], "tokens": [t for _c, t in signed], "today": info["today"],
                      "book_path": book_path}
            jobs = info["jobs"]
            warm, half = jobs[:200], (len(jobs) - 200) // 2
            load("redeem", address, processes=args.processes, threads=args.threads, jobs=warm, shared=shared)
            for kind, chunk in (("redeem_json", jobs[200:200 + half]), ("redeem", jobs[200 + half:])):
                if kind not in args.phases:
                    continue
                scans = [job for job in chunk for _ in (1, 2)]  # every code twice, adjacent: two clients race
                report[kind] = load(kind, address, processes=args.processes, threads=args.threads, jobs=scans,
                                    shared=shared)
                report[kind]["codes"] = len(chunk)
            if "book" not in args.phases:
                return _finish(report, url, info, args, port)
            # Residents book at all the outlets (one outlet's day is one counter row: bookings there queue).
            paths = [f"/meals/outlets/{info['outlets'][f'redeem{k}']}/book" for k in range(info["counters"])]
            report["book"] = load("book", address, processes=args.processes, threads=args.threads,
                                  seconds=args.seconds, shared={**shared, "cookie": "", "book_paths": paths})
            storm_path = f"/meals/outlets/{info['outlets']['storm']}/book"
            storm = [f"137{n:08d}" for n in range(5 * STORM_QUOTA)]
            report["storm"] = load("book", address, processes=args.processes, threads=5 * STORM_QUOTA // args.processes,
                                   jobs=storm, shared={**shared, "cookie": "", "book_path": storm_path})
        return _finish(report, url, info, args, port)


def _compare_backend(report: dict, url: str, info: dict, args: argparse.Namespace, port: int) -> dict:
    """--compare: every variant's server up at once on the same database, each warmed up, then the
    phase alternating between them."""
    kind, variants = COMPARISONS[args.compare]
    with contextlib.ExitStack() as stack:
        addresses = {name: stack.enter_context(gunicorn(_app(config), ROOT, port + 1 + n, app_env(url), args.workers))
                     for n, (name, config) in enumerate(variants.items())}
        first = next(iter(addresses.values()))
        signed = [sign_in(first, k) for k in range(info["counters"])]  # one secret: the cookies serve all
        shared = {"cookies": [c for c, _t in signed], "tokens": [t for _c, t in signed]}
        jobs = info["jobs"]
        for n, address in enumerate(addresses.values()):
            load(kind, address, processes=args.processes, threads=args.threads, jobs=jobs[200 * n:200 * (n + 1)],
                 shared=shared)
        report.update(compare(args, kind, addresses, jobs[200 * len(addresses):], shared))
        report["compared"] = [f"{kind}_{name}" for name in addresses]
    return _finish(report, url, info, args, port)


def _finish(report: dict, url: str, info: dict, args: argparse.Namespace, port: int) -> dict:
    """The ceiling again, the SQL checks, and the clients' verdicts tallied."""
    report["hello_after"] = ceiling(args, port)
    report["sql"] = check_sql(url, info)
    report["hello"] = max((report.pop("hello_before"), report.pop("hello_after")), key=lambda h: h["rate"])
    report["load_after"] = os.getloadavg()[0]
    for kind in REDEEM_PHASES:
        if kind not in report:
            continue
        phase = report[kind]
        per_code = Counter(code for code, verdict in phase["outcomes"] if verdict == "valid")
        phase["verdicts"] = dict(Counter(verdict for _code, verdict in phase["outcomes"]))
        phase["codes_valid_more_than_once"] = sum(1 for n in per_code.values() if n > 1)
        phase["codes_never_valid"] = phase["codes"] - len(per_code)
    for phase in ("book", "storm"):
        if phase in report:
            report[phase]["statuses"] = dict(Counter(report[phase]["outcomes"]))
    for phase in ("hello", *REDEEM_PHASES, "book", "storm"):
        if phase in report:
            report[phase].pop("outcomes", None)
    return report


def summary(report: dict) -> str:
    """The figures of one database as text."""
    hello, sql = report["hello"], report["sql"]

    def line(name: str, phase: dict) -> str:
        return (f"{name:<19}{phase['rate']:8.0f} req/s  p50 {phase['p50_ms']:6.1f} ms  p95 {phase['p95_ms']:6.1f} ms"
                f"  p99 {phase['p99_ms']:6.1f} ms"
                f"  = {100 * phase['rate'] / hello['rate']:3.0f} % of hello")

    lines = [f"== {report['backend']} == (1-minute load average {report['load_before']:.1f} before, "
             f"{report['load_after']:.1f} after, on {os.cpu_count()} CPUs)", line("hello ceiling", hello)]
    names = {"redeem_json": "redeem (scanner)", "redeem": "redeem (HTML form)",
             "redeem_page_read_phase": "form, read phase", "redeem_page_one": "form, one txn"}
    for kind, name in names.items():
        if kind not in report:
            continue
        phase = report[kind]
        lines.append(f"{line(name, phase)}  verdicts {phase['verdicts']}, codes valid twice "
                     f"{phase['codes_valid_more_than_once']}, never {phase['codes_never_valid']}"
                     + (f", rounds {phase['rounds']} req/s" if "rounds" in phase else ""))
    if "compared" in report:
        first, *others = report["compared"]
        for other in others:
            lines.append(f"{names[first]} / {names[other]}: {report[first]['rate'] / report[other]['rate']:.2f}× "
                         "the requests/s")
    if "book" in report:
        book, storm = report["book"], report["storm"]
        lines += [f"{line('booking', book)}  statuses {book['statuses']}",
                  f"oversell storm     {storm['requests']} bookings on a quota of {STORM_QUOTA}: "
                  f"statuses {storm['statuses']}"]
    lines.append(f"SQL checks         {sql}")
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark; exit 1 if any exactly-once or quota check fails."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the hello and booking phases")
    parser.add_argument("--vouchers", type=int, default=8000, help="vouchers seeded (each scanned twice)")
    parser.add_argument("--outlets", type=int, default=20, help="outlets redeeming, one counter sign-in each")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=4, help="client threads (connections) per process")
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--phases", default="redeem_json,redeem,book",
                        help="which of redeem_json, redeem, book (booking and the oversell storm) to run")
    parser.add_argument("--compare", choices=sorted(COMPARISONS),
                        help="instead of the phases, variants side by side on the same data: 'page', the "
                             "outlet page form's transactions (use with --backends sqlite)")
    parser.add_argument("--rounds", type=int, default=3, help="--compare: pairs of turns per variant (A B | B A)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.phases = {phase.strip() for phase in args.phases.split(",")}
    local = datetime.now(UTC) + timedelta(hours=8)
    if local.hour == 23 and local.minute >= 50:
        print("It is almost midnight in Guangzhou: today's vouchers would expire mid-run. Try after 00:00.")
        return 2
    reports, failed = [], False
    for n, backend in enumerate(args.backends.split(",")):
        report = run_backend(backend.strip(), args, args.port + 10 * n)
        reports.append(report)
        print(summary(report), flush=True)
        sql = report["sql"]
        failed |= any(report[k]["codes_valid_more_than_once"] or report[k]["codes_never_valid"]
                      for k in REDEEM_PHASES if k in report)
        failed |= bool(sql["double_redemptions"] or sql["oversold_counter_rows"] or sql["oversold_days_by_vouchers"]
                       or sql["day_counters_off"]
                       or sql["redeemed_vouchers"] != sql["redeem_audit_rows"])
        if "storm" in report:
            failed |= sql["storm_vouchers"] != STORM_QUOTA or report["storm"]["statuses"].get(302) != STORM_QUOTA
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2, default=str))
    print("FAILED: a correctness check did not hold" if failed else "all correctness checks held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
