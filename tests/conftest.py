"""Shared fixtures: the app on each database, clients signed in per role, small factories.

Every database-backed test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
With SHANLIAN_REQUIRE_ALL=1 (CI), a missing database or browser fails instead of skipping.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.extensions import db, limiter
from marketplace.organisations import credit_code
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation
from marketplace.regions.service import import_regions

ROOT = Path(__file__).resolve().parent.parent
REGIONS_CSV = ROOT / "marketplace" / "data" / "regions_guangzhou.csv"
REQUIRE_ALL = os.environ.get("SHANLIAN_REQUIRE_ALL") == "1"
PASSWORD = "Lantern-River-4271"  # passes the password rule (accounts/password_rule.py)
TRANSLATIONS = ROOT / "marketplace" / "translations"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets a Redis database of its
    own (15 for the first, 14 for the next, …): the limiter and session tests empty theirs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        base, _sep, number = url.rpartition("/")
        first = int(number) if number.isdigit() else 15
        os.environ["TEST_REDIS_URL"] = f"{base}/{max(first - int(worker[2:]), 0)}"


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    """Compile each catalog (.po → .mo) when missing or stale, as `make translations` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo)  # atomic: a parallel worker never reads half a file


def require(reason: str) -> None:
    """Skip locally with a clear reason; in CI (SHANLIAN_REQUIRE_ALL=1) fail instead."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_url() -> str:
    """The PostgreSQL test database, or skip/fail when there is none."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        require("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as exc:
        require(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc.orig}")
    return url


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own, fresh app context.

    The test body keeps an app context for its factories; without this, requests would reuse it and
    share `g` (Flask-Login's cached user) and the database session, hiding bugs real requests meet.
    """

    def open(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def, override]
        # Like any idle client, the test ends its own transaction before the server works (on
        # SQLite an open read snapshot would otherwise refuse the test's next write).
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


def app_config(database_url: str) -> dict[str, object]:
    """Config of an app under test: real database, CSRF off unless a test turns it on."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "HASH_KEY": "test-hash-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production keeps scrypt
        "REQUIRE_SECOND_FACTOR": False,  # on in production; tests/accounts turn it on where they test it
        "REMEMBER_COOKIE_SECURE": False,
    }


def private_schema_url(url: str, name: str) -> str:
    """The same PostgreSQL database seen through a fresh schema of its own.

    Each test run (and each developer or helper running tests at the same time) gets its own
    schema, so concurrent runs against the one `test` database never drop each other's tables.
    """
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    # application_name too: a test that drops its own connections finds them by it, not others'
    return f"{url}{separator}options=-csearch_path%3D{name}&application_name={name}"


def drop_schema(url: str, name: str) -> None:
    """Remove a schema made by private_schema_url."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each database the suite runs on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = postgres_url()
    schema = f"test_run_{os.getpid()}"
    yield private_schema_url(url, schema)
    drop_schema(url, schema)


@pytest.fixture(scope="session")
def _app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One migrated app per database, with the Guangzhou regions loaded."""
    from flask_migrate import upgrade

    app = create_app({**app_config(database_url), "EVIDENCE_DIR": str(tmp_path_factory.mktemp("evidence"))})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions(REGIONS_CSV.read_text(encoding="utf-8"))
        db.session.commit()
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


_PG_SCRIPTS: dict[str, str] = {}


def _pg_sequences() -> list[tuple[str, str, str]]:
    """(sequence, table, column) of every id sequence in the current PostgreSQL schema."""
    return [tuple(row) for row in db.session.execute(sa.text(
        "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name), table_name, column_name"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND (column_default LIKE 'nextval%' OR is_identity = 'YES') ORDER BY 1")) if row[0]]


def _pg_emptying_script(tables: list[sa.Table]) -> str:
    """DELETE every table (children first) and restart every id sequence, as one round trip.

    TRUNCATE … RESTART IDENTITY CASCADE of the ~55 tables took 1.4–1.5 s per test here (it makes
    new files for every table), most of a PostgreSQL test's time; the DELETEs and setvals of nearly
    empty tables take ~13 ms.
    """
    schema = db.session.scalar(sa.text("SELECT current_schema()"))
    if schema not in _PG_SCRIPTS:
        # users and organisations refer to each other: the foreign keys' triggers rest for this
        # transaction (SET LOCAL; the tests connect as a superuser, as CI does)
        _PG_SCRIPTS[schema] = "; ".join(["SET LOCAL session_replication_role = replica"]
                                        + [f'DELETE FROM "{t.name}"' for t in tables]
                                        + [f"SELECT setval('{q}', 1, false)" for q, _t, _c in _pg_sequences()])
    return _PG_SCRIPTS[schema]


OFFICE_COLUMNS = ("office_name", "office_phone", "office_address")
_DEMO_ROWS: dict[str, list[tuple[sa.Table, list[dict]]]] = {}


def load_demo(app: Flask) -> None:
    """The demo data, exactly as `flask demo load` writes it, into the emptied tables.

    The first call on each database of a test process runs the real command; later calls put back
    a copy of the rows it wrote (a load took 40–100 s per test on PostgreSQL here, some 80 tests
    use it; the copy goes back in well under a second). tests/app/test_cli.py and the demo's own
    "a second load changes nothing" tests still run the command itself.
    """
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _DEMO_ROWS:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        regions = db.metadata.tables["regions"]
        _DEMO_ROWS[url] = [
            (table, [dict(row._mapping) for row in db.session.execute(
                sa.select(regions.c.code, *(regions.c[c] for c in OFFICE_COLUMNS)).where(regions.c.office_phone != "")
                if table is regions else table.select())])
            for table in db.metadata.sorted_tables]
        db.session.rollback()
        return
    postgres = db.engine.dialect.name == "postgresql"
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica" if postgres
                               else "PRAGMA defer_foreign_keys=ON"))
    for table, rows in _DEMO_ROWS[url]:
        if rows and table.name == "regions":
            for row in rows:
                db.session.execute(table.update().where(table.c.code == row["code"])
                                   .values({c: row[c] for c in OFFICE_COLUMNS}))
        elif rows:
            db.session.execute(table.insert(), rows)
    if postgres:
        for sequence, table_name, column in _pg_sequences():
            db.session.execute(sa.text(f"SELECT setval('{sequence}', COALESCE((SELECT max(\"{column}\")"
                                       f" FROM \"{table_name}\"), 0) + 1, false)"))
    db.session.commit()
    db.session.expire_all()


def _empty_tables() -> None:
    """Remove every row a test wrote (regions stay, without the offices a test gave them)."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "regions"]
    if db.engine.dialect.name == "postgresql":
        db.session.connection().exec_driver_sql(_pg_emptying_script(tables))
    else:
        db.session.execute(sa.text("PRAGMA defer_foreign_keys=ON"))
        for table in tables:
            db.session.execute(table.delete())
    regions = db.metadata.tables["regions"]
    db.session.execute(regions.update().where(regions.c.office_phone != "")
                       .values(office_name="", office_phone="", office_address=""))
    db.session.commit()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app with empty tables; each test runs in a fresh app context."""
    limiter.enabled = False
    with _app.app_context():
        _empty_tables()
    with _app.app_context():
        yield _app
        db.session.rollback()
    _app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser without a session."""
    return app.test_client()


# --- factories -------------------------------------------------------------------------------

_counter = iter(range(1, 10**6))


def make_org(
    *, kind: str = "charity", region: str = "440104", status: str = "approved", name: str | None = None
) -> Organisation:
    """An organisation with one member, reviewed into the given status."""
    n = next(_counter)
    org = organisations.register(
        organisations.Registration(
            name=name or f"测试组织{n}", kind=kind, credit_code=credit_code.make(f"53440104MA{n:07d}"),
            contact_name="联系人", contact_phone="020-83330000", contact_email=f"c{n}@example.cn",
            member_email=f"member{n}@example.cn", member_password=PASSWORD, region_codes=[region],
            categories=["daily_living"],
        )
    )
    if status != "pending":
        reviewer = make_user(Role.ADMIN)
        organisations.review(org, actor=reviewer, approve=status == "approved", reason="不符合条件")
    db.session.commit()
    return org


def make_user(role: Role, *, region: str | None = None, org: Organisation | None = None) -> User:
    """An account of the role; staff default to 越秀区, members get an approved organisation."""
    n = next(_counter)
    if role == Role.STAFF and region is None:
        region = "440104"
    if role in (Role.ORG_MEMBER, Role.OUTLET_STAFF) and org is None:
        org = make_org()
    user = accounts.create_user(
        f"{role.value}{n}@example.cn", PASSWORD, role, region_code=region,
        organisation_id=org.id if org else None,
    )
    db.session.commit()
    return user


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real login form."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def as_role(app: Flask):  # type: ignore[no-untyped-def]
    """Factory: a client signed in with a fresh account of the role."""

    def make(role: Role, **kwargs: object) -> FlaskClient:
        user = make_user(role, **kwargs)  # type: ignore[arg-type]
        c = app.test_client()
        sign_in(c, user)
        c.user = user  # type: ignore[attr-defined]
        return c

    return make


# --- the micro-wish loop ------------------------------------------------------------------------

def referral_payload(n: int | None = None, household: dict | None = None, **need: object) -> dict[str, object]:
    """A valid referral in the contract's shape (external ids unique per call)."""
    from datetime import timedelta

    from marketplace.clock import today as today_shanghai

    n = n if n is not None else next(_counter)
    return {
        "external_id": f"GZ-YX-2026-{n:06d}",
        "referred_at": "2026-11-20T10:00:00+08:00",
        "household": {
            "external_id": f"H-440104-{n:05d}", "category": "dibao", "group": "elderly_special_difficulty",
            "region_code": "440104", "street": "北京街道", "members": 1, "head_name": "李桂芳",
            "phone": "13800138000", "address": "越秀区北京路88号",
            # One household per ID number: a number of its own per call, as its household id is.
            "id_number": f"4401041952{n:08d}", **(household or {}),
        },
        "need": {
            "kind": "wish", "category": "daily_living", "title": "一台电饭煲",
            "description": "独居老人，原电饭煲损坏，需要一台3升电饭煲。", "quantity": 1,
            "estimated_value_fen": 29900, "urgency": "normal",
            "needed_by": (today_shanghai() + timedelta(days=40)).isoformat(), **need,
        },
    }


def make_need(status: str = "published", *, staff: User | None = None, org: Organisation | None = None,
              household: dict | None = None, **payload_need: object):  # type: ignore[no-untyped-def]
    """A need of 北京街道 (越秀区) brought to `status` through the real transitions."""
    from datetime import timedelta

    from marketplace import storage
    from marketplace.clock import today as today_shanghai
    from marketplace.households import intake
    from marketplace.households import service as households
    from marketplace.needs import transitions

    staff = staff or make_user(Role.ADMIN)
    received = intake.receive("test-source", referral_payload(household=household, **payload_need), actor=staff)
    today = today_shanghai()
    draft = households.NeedDraft(
        kind="wish", category="daily_living", title="一台电饭煲", story="L阿姨，72岁，独居，电饭煲坏了。",
        quantity=1, value_fen=29900, is_urgent=False, claim_deadline=today + timedelta(days=10),
        fulfil_by=today + timedelta(days=30),
    )
    need = households.triage(received.referral, draft, actor=staff)
    if status == "draft":
        db.session.commit()
        return need
    transitions.publish(need, actor=staff)
    if status in ("claimed", "delivered", "closed"):
        org = org or make_org()
        member = org.members[0]
        transitions.claim(need, actor=member, promised_by=today + timedelta(days=7))
        if status in ("delivered", "closed"):
            stored = storage.store_photo(tiny_jpeg())
            transitions.add_evidence(need, actor=member, kind="photo", stored=stored)
            transitions.deliver(need, actor=member)
        if status == "closed":
            transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="很好")
    db.session.commit()
    return need


def tiny_jpeg(exif: bool = False) -> bytes:
    """A small real JPEG, optionally carrying EXIF with GPS coordinates."""
    import io

    from PIL import Image

    image = Image.new("RGB", (64, 48), "orange")
    out = io.BytesIO()
    if exif:
        data = image.getexif()
        data[0x010F] = "PhoneMaker"
        data[0x8825] = {1: "N", 2: (23.0, 7.0, 30.0), 3: "E", 4: (113.0, 16.0, 0.0)}
        image.save(out, "JPEG", exif=data)
    else:
        image.save(out, "JPEG")
    return out.getvalue()
