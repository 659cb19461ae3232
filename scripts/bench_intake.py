"""Throughput of the referral intake API over HTTP, on SQLite and PostgreSQL.

For each database it makes a scratch database (a file, or a schema of its own), migrates it, loads
the Guangzhou regions and creates one API key (its source's rate limit raised so no phase is
throttled). Nothing else is seeded: every household and referral is created through the API. It
then starts gunicorn with 4 sync workers on `wsgi:app` (the same entry point production uses) and
drives it from client threads with keep-alive connections (stdlib http.client), signing each body
as the contract says. Phases:

- `single`: one client, POST /api/v1/referrals one by one (a new household each);
- `batch`: one client, POST /api/v1/referrals/batch with 500 referrals a batch (new households);
- `shared`: four clients at once, each sending batches of 500 whose referrals draw their
  households (in random order) from one pool of `--pool` households shared by all four.

Afterwards it checks in SQL that every referral sent is stored exactly once and that no household
of the pool was created twice, and it counts the answers that were not 2xx (a 500 is a failure).

    .venv/bin/python scripts/bench_intake.py                       # both databases
    .venv/bin/python scripts/bench_intake.py --backends postgresql --batches 10

PostgreSQL comes from BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
rate limits count in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/0), as with several workers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET, HASH_KEY = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
SOURCE = "bench-intake"
CATEGORIES = ("daily_living", "medical", "mobility", "education", "meals")
STREETS = ("北京街道", "流花街道", "六榕街道")


@contextmanager
def scratch_database(backend: str):
    """A fresh database URL for one run; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-intake-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    from tests.conftest import drop_schema, private_schema_url

    schema = f"bench_intake_{os.getpid()}"
    yield private_schema_url(PG_URL, schema)
    drop_schema(PG_URL, schema)


def prepare(url: str) -> str:
    """Migrate, load the regions, and make the API key (printed once, like `flask api-key create`)."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.api import keys
    from marketplace.extensions import db
    from marketplace.regions.service import import_regions

    app = create_app({"SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions((ROOT / "marketplace/data/regions_guangzhou.csv").read_text(encoding="utf-8"))
        row, key = keys.create(SOURCE)
        row.source.rate_limit = 10**6
        db.session.commit()
        db.engine.dispose()
    return key


@contextmanager
def gunicorn(port: int, env: dict[str, str], workers: int):
    """gunicorn with `workers` sync workers on 127.0.0.1:port; stopped (by its own pid) afterwards."""
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--chdir", str(ROOT), "--log-level", "warning", "wsgi:app"]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=str(ROOT))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def app_env(url: str) -> dict[str, str]:
    """The app's settings for the run: production-like, but plain HTTP."""
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY, "SESSION_COOKIE_SECURE": "0",
            "RATELIMIT_STORAGE_URI": REDIS_URL}


# --- payloads and the client -------------------------------------------------------------------------

class Ids:
    """Unique external ids for the whole run."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.n, self.lock = prefix, 0, threading.Lock()

    def next(self) -> int:
        with self.lock:
            self.n += 1
            return self.n


def referral(n: int, household: int, rng: random.Random) -> dict:
    """A valid referral in the contract's shape; the household's fields follow from its number."""
    needed_by = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    return {
        "external_id": f"B-{n:08d}",
        "referred_at": "2026-11-20T10:00:00+08:00",
        "household": {
            "external_id": f"H-{household:07d}", "category": "dibao", "group": "elderly_special_difficulty",
            "region_code": "440104", "street": STREETS[household % len(STREETS)], "members": 1 + household % 5,
            "head_name": f"住户{household}", "phone": f"138{household:08d}",
            "address": f"越秀区北京路{household}号", "id_number": f"4401041952{household:08d}",
        },
        "need": {
            "kind": "wish", "category": rng.choice(CATEGORIES), "title": f"一台电饭煲 {n}",
            "description": "独居老人，原电饭煲损坏，需要一台3升电饭煲。", "quantity": 1,
            "estimated_value_fen": 29900, "urgency": rng.choice(("normal", "urgent")), "needed_by": needed_by,
        },
    }


class Client:
    """One keep-alive connection that signs what it posts."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.key = key

    def post(self, path: str, payload: object) -> tuple[int, dict, float]:
        from marketplace.api.auth import sign

        body = json.dumps(payload, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        headers = {"Authorization": f"Bearer {self.key}", "X-Timestamp": stamp,
                   "X-Signature": sign(self.key, stamp, body), "Content-Type": "application/json"}
        started = time.perf_counter()
        self.conn.request("POST", "/api/v1" + path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        try:
            answer = json.loads(data)
        except ValueError:
            answer = {"raw": data[:200].decode(errors="replace")}
        return response.status, answer, elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def summarise(name: str, referrals: int, wall: float, latencies: list[float], statuses: Counter,
              items: Counter) -> dict:
    return {"phase": name, "referrals": referrals, "seconds": round(wall, 2),
            "referrals_per_s": round(referrals / wall, 1), "requests": len(latencies),
            "p50_ms": round(statistics.median(latencies) * 1000), "p95_ms": round(p95(latencies) * 1000),
            "max_ms": round(max(latencies) * 1000), "http": dict(statuses), "items": dict(items)}


# --- phases ------------------------------------------------------------------------------------------

def single(port: int, key: str, ids: Ids, count: int, households: Ids) -> dict:
    client, rng = Client(port, key), random.Random(1)
    latencies, statuses = [], Counter()
    started = time.perf_counter()
    for _ in range(count):
        status, _answer, elapsed = client.post("/referrals", referral(ids.next(), households.next(), rng))
        latencies.append(elapsed)
        statuses[status] += 1
    return summarise("single, one by one", count, time.perf_counter() - started, latencies, statuses,
                     Counter({s: n for s, n in statuses.items()}))


def _batches(port: int, key: str, batches: list[list[dict]], latencies: list, statuses: Counter,
             items: Counter, lock: threading.Lock, start: threading.Barrier | None) -> None:
    client = Client(port, key)
    if start is not None:
        start.wait()
    for batch in batches:
        status, answer, elapsed = client.post("/referrals/batch", {"referrals": batch})
        with lock:
            latencies.append(elapsed)
            statuses[status] += 1
            for result in answer.get("results", []):
                items[result["status"]] += 1


def batch(port: int, key: str, ids: Ids, count: int, households: Ids) -> dict:
    rng = random.Random(2)
    work = [[referral(ids.next(), households.next(), rng) for _ in range(500)] for _ in range(count)]
    latencies, statuses, items = [], Counter(), Counter()
    started = time.perf_counter()
    _batches(port, key, work, latencies, statuses, items, threading.Lock(), None)
    return summarise("batch of 500, one client", 500 * count, time.perf_counter() - started, latencies,
                     statuses, items)


def shared(port: int, key: str, ids: Ids, count: int, pool: list[int], clients: int = 4) -> dict:
    """`clients` threads, `count` batches each; every batch draws its households from `pool`."""
    rng = random.Random(3)
    work = [[[referral(ids.next(), rng.choice(pool), rng) for _ in range(500)] for _ in range(count)]
            for _ in range(clients)]
    latencies, statuses, items, lock = [], Counter(), Counter(), threading.Lock()
    start = threading.Barrier(clients)
    threads = [threading.Thread(target=_batches, args=(port, key, w, latencies, statuses, items, lock, start))
               for w in work]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarise(f"batch of 500, {clients} clients, shared households", 500 * count * clients,
                     time.perf_counter() - started, latencies, statuses, items)


def check_sql(url: str, sent: int, pool: int) -> dict:
    """Exactly once, counted by the database itself."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = conn.execute
        result = {
            "referrals_sent": sent,
            "referrals_stored": q(sa.text("SELECT count(*) FROM referrals")).scalar(),
            "external_ids_twice": q(sa.text("SELECT count(*) FROM (SELECT external_id FROM referrals "
                                            "GROUP BY source, external_id HAVING count(*) > 1) AS d")).scalar(),
            "pool_households_stored": q(sa.text("SELECT count(*) FROM households WHERE external_id LIKE 'H-9%'"))
            .scalar(),
            "pool_size": pool,
            "receive_audit_rows": q(sa.text("SELECT count(*) FROM audit_events WHERE action = 'referral.receive'"))
            .scalar(),
            "search_rows": q(sa.text("SELECT count(*) FROM referral_search")).scalar(),
            "unstamped": q(sa.text("SELECT count(*) FROM referrals WHERE change_seq = 0")).scalar(),
        }
    engine.dispose()
    return result


def run_backend(backend: str, args: argparse.Namespace, port: int) -> dict:
    with scratch_database(backend) as url:
        key = prepare(url)
        ids, households = Ids("B"), Ids("H")
        pool = list(range(9_000_000, 9_000_000 + args.pool))
        report: dict = {"backend": backend, "phases": []}
        with gunicorn(port, app_env(url), args.workers):
            Client(port, key).post("/referrals/batch", {"referrals": [referral(ids.next(), households.next(),
                                                                                 random.Random(0))]})  # warm-up
            report["phases"].append(single(port, key, ids, args.single, households))
            report["phases"].append(batch(port, key, ids, args.batches, households))
            report["phases"].append(shared(port, key, ids, args.batches, pool))
        report["check"] = check_sql(url, ids.n, args.pool)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--single", type=int, default=300, help="referrals sent one by one")
    parser.add_argument("--batches", type=int, default=10, help="batches per client (single and four clients)")
    parser.add_argument("--pool", type=int, default=400, help="households shared by the four clients")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=18710)
    args = parser.parse_args()
    reports = []
    for n, backend in enumerate(args.backends):
        report = run_backend(backend, args, args.port + n)
        reports.append(report)
        print(f"\n## {backend}")
        for phase in report["phases"]:
            print(f"{phase['phase']}: {phase['referrals_per_s']} referrals/s, p50 {phase['p50_ms']} ms, "
                  f"p95 {phase['p95_ms']} ms, max {phase['max_ms']} ms, HTTP {phase['http']}, items {phase['items']}")
        print("check:", report["check"])
    print(json.dumps(reports, ensure_ascii=False))
    with contextlib.suppress(OSError):
        print(f"(load average {os.getloadavg()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
