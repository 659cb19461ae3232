"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and undo cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import ROOT, app_config, postgres_url

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    """An app on an empty database of its own (a separate PostgreSQL schema)."""
    if request.param == "sqlite":
        config = app_config(f"sqlite:///{tmp_path / 'migrations.db'}")
    else:
        url = postgres_url()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA migration_test"))
        engine.dispose()
        config = app_config(url)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-csearch_path=migration_test"}}
    app = create_app(config)
    with app.app_context():
        yield app
        db.engine.dispose()


def _diff() -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_migrated_schema_equals_models_and_downgrade_to_base_works(empty_app):
    upgrade(directory=MIGRATIONS)
    assert _diff() == []
    assert {"users", "organisations", "regions", "audit_events"} <= _tables()
    downgrade(directory=MIGRATIONS, revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade(directory=MIGRATIONS)
    assert _diff() == []
