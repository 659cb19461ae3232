"""How long a failed sign-in takes for a known email and for an unknown one (docs/BENCHMARKS.md).

For each database it migrates a scratch database (a file, or a schema of its own), creates one staff
account with the production password hash (Werkzeug's scrypt default), and posts the sign-in form
in-process through the app: known email with a wrong password and unknown email, taking turns so a
busy moment of the machine falls on both, `--tries` of each after a few warm-up posts. The throttle
is off (RATELIMIT_ENABLED=0): every attempt reaches the password check. It prints the median, the
10th and 90th percentile and the range of each, and the ratio of the medians.

    .venv/bin/python scripts/bench_signin.py                       # SQLite, then PostgreSQL
    .venv/bin/python scripts/bench_signin.py --backends sqlite --tries 50

PostgreSQL comes from BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
The script runs against whatever code is checked out, so the same command measures before and after.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-1"
KNOWN, UNKNOWN = "known@bench.example", "unknown@bench.example"


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A fresh database URL for one run; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-signin-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    from tests.conftest import drop_schema, private_schema_url

    schema = f"bench_signin_{os.getpid()}"
    yield private_schema_url(PG_URL, schema)
    drop_schema(PG_URL, schema)


def timings(url: str, tries: int) -> dict[str, list[float]]:
    """Milliseconds per failed sign-in, for the known and the unknown email."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts import service as accounts
    from marketplace.accounts.models import Role
    from marketplace.extensions import db
    from marketplace.regions.service import import_regions

    app = create_app({"SECRET_KEY": secrets.token_urlsafe(32), "HASH_KEY": secrets.token_urlsafe(32),
                      "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": None})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions((ROOT / "marketplace/data/regions_guangzhou.csv").read_text(encoding="utf-8"))
        accounts.create_user(KNOWN, PASSWORD, Role.STAFF, region_code="440104")
        db.session.commit()
    client = app.test_client()
    measured: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for n in range(tries + 3):
        for email in (KNOWN, UNKNOWN) if n % 2 else (UNKNOWN, KNOWN):
            started = time.perf_counter()
            answer = client.post("/login", data={"email": email, "password": "wrong-password-1"})
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, answer.status_code
            if n >= 3:  # the first posts warm the connection pool and the templates
                measured[email].append(elapsed)
    with app.app_context():
        db.engine.dispose()
    return measured


def summary(values: list[float]) -> str:
    """Median, p10–p90 and range, in ms."""
    deciles = statistics.quantiles(values, n=10)
    return (f"median {statistics.median(values):6.1f} ms, p10–p90 {deciles[0]:6.1f}–{deciles[-1]:6.1f} ms, "
            f"range {min(values):6.1f}–{max(values):6.1f} ms")


def main() -> None:
    """Measure each backend and print the table rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    for backend in args.backends:
        with scratch_database(backend) as url:
            measured = timings(url, args.tries)
        known, unknown = measured[KNOWN], measured[UNKNOWN]
        print(f"{backend}, {args.tries} tries each")
        print(f"  known email, wrong password: {summary(known)}")
        print(f"  unknown email:               {summary(unknown)}")
        print(f"  median unknown / known: {statistics.median(unknown) / statistics.median(known):.2f}")


if __name__ == "__main__":
    main()
