"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and undo cleanly."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.search.index import in_models
from tests.conftest import ROOT, app_config, drop_schema, postgres_url, private_schema_url

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    """An app on an empty database of its own (a separate PostgreSQL schema)."""
    if request.param == "sqlite":
        config = app_config(f"sqlite:///{tmp_path / 'migrations.db'}")
    else:
        url = postgres_url()
        config = app_config(private_schema_url(url, f"migration_test_{os.getpid()}"))
    app = create_app(config)
    with app.app_context():
        yield app
        db.engine.dispose()
    if request.param == "postgresql":
        drop_schema(url, f"migration_test_{os.getpid()}")


def _diff() -> list:
    # The search indexes (FTS5 tables on SQLite, the tsvector column and its GIN index on PostgreSQL)
    # exist on one database each and are made by the migration alone: `in_models` leaves them out,
    # as autogenerate does (marketplace/search/index.py).
    opts = {"compare_type": True, "include_name": in_models}
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _checks(tables: list[sa.Table]) -> dict[tuple[str, str], set[str]]:
    """Every CHECK constraint of the migrated database: (table, name) -> the quoted values it lists."""
    inspector = sa.inspect(db.engine)
    return {(t.name, c["name"]): set(re.findall(r"'([^']*)'", c["sqltext"]))
            for t in tables for c in inspector.get_check_constraints(t.name)}


def _model_checks(tables: list[sa.Table]) -> dict[tuple[str, str], set[str]]:
    """The same, as the models declare them (enum checks list their enum's values)."""
    return {(t.name, str(c.name)): set(re.findall(r"'([^']*)'", str(c.sqltext)))
            for t in tables for c in t.constraints if isinstance(c, sa.CheckConstraint)}


def test_migrated_schema_equals_models_and_downgrade_to_base_works(empty_app):
    upgrade(directory=MIGRATIONS)
    assert _diff() == []
    # Alembic's comparison leaves CHECK constraints out: every one the models build (from their
    # enums among others) must be in the migrated schema, listing the same values.
    tables = list(db.metadata.sorted_tables)
    assert _checks(tables) == _model_checks(tables)
    assert {"users", "organisations", "regions", "audit_events"} <= _tables()
    downgrade(directory=MIGRATIONS, revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade(directory=MIGRATIONS)
    assert _diff() == []
