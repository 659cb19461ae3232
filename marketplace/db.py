"""Declarative base, time helpers and SQLite connection tuning shared by every model."""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of all models."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def enum_check(column: str, values: type[StrEnum], *, name: str | None = None) -> sa.CheckConstraint:
    """A CHECK that `column` holds one of the enum's values, named `ck_<table>_<name or column>`.

    Built from the enum, so the database refuses exactly what the code does not know. A NULL passes
    (SQL's IN yields unknown, which a CHECK accepts): nullable columns need nothing more.
    """
    listed = ", ".join(f"'{member.value}'" for member in values)
    if "'" in listed.replace("', '", "").strip("'"):
        raise ValueError(f"{values.__name__}: a value with a quote cannot be listed in a CHECK")
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name or column)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use marketplace.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def declare_write() -> None:
    """Mark the coming transaction as a writing one, so SQLite takes its write lock at BEGIN.

    Writes from POST requests are marked automatically. Call this first in a GET request that
    writes (an audited view of personal data), a job or a CLI command: a transaction that starts
    as a reader may be refused the upgrade to writer when another writer got in between. Outside
    a request it applies to the next transaction only.
    """
    if has_request_context():
        g.sqlite_write_intent = True
    else:
        _write_intent.set(True)


@contextlib.contextmanager
def write_intent(write: bool = True) -> Iterator[None]:
    """Declare the block's first transaction a writer (see `declare_write`), and forget it afterwards,
    so a block that never reached the database leaves no intent behind for the next one."""
    if not write or has_request_context():
        if write:
            declare_write()
        yield
        return
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextlib.contextmanager
def read_phase() -> Iterator[None]:
    """SQLite: run the block as a plain reader in a transaction of its own, then end it.

    For slow work that must not hold SQLite's only write lock: between reading and writing (checking
    a password hash costs a tenth of a second), or rendering a page after its write (the outlet's
    form post). What the unit wrote before the block is committed first. Other databases have no
    such lock: there the block is simply part of the unit, committed at its boundary.
    """
    session = db_session()
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.commit()  # the writes so far, and the write lock with them
    if has_request_context():
        g.sqlite_read_phase = True
    try:
        yield
    finally:
        session.commit()
        if has_request_context():
            g.sqlite_read_phase = False


def db_session() -> Any:
    """The app's session, found through the app (the extensions module is built on this one)."""
    return current_app.extensions["sqlalchemy"].session


def _wants_immediate() -> bool:
    """Unsafe-method requests and declared writers take the lock up front; readers do not."""
    if has_request_context():
        if g.get("sqlite_read_phase", False):
            return False
        return request.method not in ("GET", "HEAD", "OPTIONS") or g.get("sqlite_write_intent", False)
    return _write_intent.get()


@sa.event.listens_for(sa.Engine, "connect")
def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
    """WAL (readers never block the writer), a busy timeout, foreign keys and a bigger cache on SQLite."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        # Our statements are short; PostgreSQL's JIT compiles the set-based ones (lights) for longer
        # than they run (255 ms of compiling for a 0.3 s query, measured).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
        return
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of page cache instead of SQLite's 2 MiB: set-based jobs (lights, expiry) touch pages all
    # over the needs' indexes, and the memory is only taken as pages are read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


@sa.event.listens_for(sa.Engine, "begin")
def _on_begin(conn):  # type: ignore[no-untyped-def]
    """BEGIN IMMEDIATE for writers on SQLite.

    A deferred transaction that reads and then writes fails at once with "database is locked" when
    another writer got in between; taking the write lock at BEGIN makes writers queue on the busy
    timeout instead (SQLAlchemy's documented pysqlite recipe).
    """
    if conn.dialect.name == "sqlite":
        immediate = _wants_immediate()
        # Outside a request the declaration covers the coming transaction only; left set, it would
        # make every later transaction of this thread (a test, a CLI) hold the write lock.
        _write_intent.set(False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def insert_ignoring_duplicates(session: Any, model: Any, **values: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, in the dialect of the session's database (both spell it alike)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values).on_conflict_do_nothing()


def insert_from_select_ignoring_duplicates(session: Any, table: Any, columns: list[str], select: Any) -> Any:
    """INSERT … SELECT … ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).from_select(columns, select).on_conflict_do_nothing()


def render_migration_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    """Write our column types into migration scripts as plain SQLAlchemy types."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def json_object(session: Any, **values: Any) -> Any:
    """A JSON object built in SQL from columns; the two databases spell the function differently."""
    pairs = [part for key, value in values.items() for part in (sa.literal(key), value)]
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.json_build_object(*pairs, type_=sa.JSON)
    return sa.func.json_object(*pairs, type_=sa.JSON)


def insert_rows(session: Any, table: sa.Table, rows: Sequence[dict[str, Any]], *, key: Sequence[str] = (),
                update: Sequence[str] | None = None, returning: Sequence[str] = ()) -> list[Any]:
    """Many rows in one INSERT, in the order given; the rows named by `returning` come back.

    With a `key` (the columns of a unique index): `update` None leaves out a row whose key exists
    (ON CONFLICT DO NOTHING: PostgreSQL waits for a racing transaction's row and then leaves it
    out, so it is absent from the answer), else those columns take the sent values (an upsert).
    Rows go in, and are locked, in the order given: callers that sort them by key never deadlock.

    PostgreSQL receives the rows as ONE JSON parameter (`json_populate_recordset`): a VALUES list
    of 500 rows × 23 columns costs 120–250 ms to send, parse and plan, the JSON 10–20 ms (measured,
    docs/BENCHMARKS.md). SQLite, in process, takes the VALUES list as it is.
    """
    if not rows:
        return []
    names = list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        quote = session.get_bind().dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in names)
        sql = (f"INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} "
               f"FROM json_populate_recordset(NULL::{quote(table.name)}, CAST(:rows AS json))")
        if key:
            target = ", ".join(quote(name) for name in key)
            sets = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update or ())
            sql += f" ON CONFLICT ({target}) " + (f"DO UPDATE SET {sets}" if update else "DO NOTHING")
        if returning:
            sql += " RETURNING " + ", ".join(quote(name) for name in returning)
        result = session.execute(sa.text(sql), {"rows": json.dumps([_json_row(row) for row in rows])})
        return list(result) if returning else []
    from sqlalchemy.dialects import sqlite

    statement: Any = sqlite.insert(table)
    if key:
        statement = (statement.on_conflict_do_update(index_elements=list(key),
                                                     set_={name: statement.excluded[name] for name in update})
                     if update else statement.on_conflict_do_nothing(index_elements=list(key)))
    if returning:
        return list(session.execute(statement.returning(*(table.c[name] for name in returning)), list(rows)))
    session.execute(statement, list(rows))
    return []


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as json_populate_recordset reads it: times in UTC ISO form, dates ISO, JSON columns nested."""
    out = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            value = UTCDateTime().process_bind_param(value, None).isoformat()  # type: ignore[arg-type, union-attr]
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


# PostgreSQL: deadlock_detected, serialization_failure. SQLite: a lock not granted within the busy timeout.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(error: BaseException) -> bool:
    """Whether a database error may pass when the same work is tried again (a deadlock, a busy lock)."""
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return type(original).__module__.startswith("sqlite3") and "locked" in str(original)
