"""`flask simulate`: a district replayed through the real operations, on a scratch database only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace import create_app
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation
from tests.conftest import app_config, drop_schema, postgres_url, private_schema_url


@pytest.fixture
def bare_app(tmp_path: Path) -> Flask:
    """An app whose own database is a file the simulation must never create or fill."""
    return create_app(app_config(f"sqlite:///{tmp_path / 'own.db'}"))


def run(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["simulate", *args])
    return result.exit_code, result.stdout, result.stderr


def run_json(app: Flask, *args: str) -> dict:
    code, out, err = run(app, *args, "--json")
    assert code == 0, out + err
    return json.loads(out)


def test_the_same_seed_gives_the_same_json_and_another_seed_another(bare_app: Flask) -> None:
    first = run_json(bare_app, "--mode", "pull", "--days", "5", "--seed", "7")
    again = run_json(bare_app, "--mode", "pull", "--days", "5", "--seed", "7")
    other = run_json(bare_app, "--mode", "pull", "--days", "5", "--seed", "8")
    assert first == again
    assert first["referred"] > 0 and first != other


def test_a_short_run_closes_needs_through_the_real_operations_and_leaves_the_app_alone(app: Flask) -> None:
    result = run_json(app, "--mode", "match", "--days", "10", "--seed", "1")
    assert result["referred"] > 80  # ~15 a day
    assert result["needs_by_status"].get("closed", 0) > 0
    assert result["claims"] > 0 and result["deliveries"] > 0 and result["confirmations"] > 0
    assert 0 < result["closure_rate"] <= 1 and result["median_days_to_close"] > 0
    assert result["offers_accepted"] > 0 and result["offers_declined"] >= 0
    for required in ("median_days_to_claim", "p90_days_to_close", "late_lit_red_within_one_tick"):
        assert required in result
    # The app the command ran in (SQLite or PostgreSQL) got nothing.
    for model in (Referral, Need, Organisation):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_match_mode_goes_through_the_real_profiles_offers_and_parts(bare_app: Flask, tmp_path: Path) -> None:
    """Read back from the scratch database the run filled: the profiles written, offers answered
    (accepted ones became claims of the offered organisation), needs taken in parts."""
    scratch = f"sqlite:///{tmp_path / 'scratch.db'}"
    result = run_json(bare_app, "--mode", "match", "--days", "6", "--seed", "2", "--database", scratch)
    engine = sa.create_engine(scratch)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
        assert q("SELECT count(*) FROM organisations WHERE capacity_open IS NULL OR value_max_fen IS NULL") == [(0,)]
        accepted = q("SELECT o.need_id FROM offers o JOIN claims c ON c.need_id = o.need_id"
                     " AND c.organisation_id = o.organisation_id WHERE o.status = 'accepted'")
        assert len(accepted) == result["offers_accepted"] > 0
        declined = q("SELECT reason FROM offers WHERE status = 'rejected'")
        assert len(declined) == result["offers_declined"]
        assert {r for (r,) in declined} <= {"no_capacity", "outside_services", "outside_area"}
        assert q("SELECT count(*) FROM audit_events WHERE action = 'offer.accept'") == [(result["offers_accepted"],)]
        parts = q("SELECT count(*) FROM claims c JOIN needs n ON n.id = c.need_id WHERE c.quantity < n.quantity")
        assert parts == [(result["parts"],)] and result["parts"] > 0
    engine.dispose()


def test_the_summary_reads_as_words(bare_app: Flask, tmp_path: Path) -> None:
    code, out, err = run(bare_app, "--mode", "pull", "--days", "2", "--seed", "3")
    assert code == 0, out + err
    assert "closure rate" in out and "mode pull" in out
    assert not (tmp_path / "own.db").exists() or not sa.inspect(
        sa.create_engine(f"sqlite:///{tmp_path / 'own.db'}")).get_table_names()


def test_it_runs_on_a_scratch_postgresql_database(bare_app: Flask) -> None:
    url = postgres_url()
    schema = f"simulation_{os.getpid()}"
    scratch = private_schema_url(url, schema)
    try:
        result = run_json(bare_app, "--mode", "match", "--days", "3", "--seed", "1", "--database", scratch)
        assert result["referred"] > 0 and result["claims"] > 0
    finally:
        drop_schema(url, schema)


@pytest.mark.parametrize(("args", "message"), [
    (["--mode", "broadcast"], "Invalid value for '--mode'"),
    (["--days", "10"], "Missing option '--mode'"),
    (["--mode", "pull", "--days", "0"], "Invalid value for '--days'"),
    (["--mode", "pull", "--seed", "one"], "Invalid value for '--seed'"),
    (["--mode", "pull", "--database", "not a url"], "not a database URL"),
])
def test_bad_arguments_get_a_clear_error(bare_app: Flask, args: list[str], message: str) -> None:
    code, out, err = run(bare_app, *args)
    assert code == 2 and message in out + err


def test_the_apps_own_database_is_refused(app: Flask) -> None:
    code, out, err = run(app, "--mode", "pull", "--database", app.config["SQLALCHEMY_DATABASE_URI"])
    assert code == 2 and "the app's own database" in out + err
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0


def test_a_database_that_holds_tables_is_refused(bare_app: Flask, tmp_path: Path) -> None:
    used = f"sqlite:///{tmp_path / 'used.db'}"
    engine = sa.create_engine(used)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE precious (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO precious VALUES (1)"))
    code, out, err = run(bare_app, "--mode", "pull", "--days", "1", "--database", used)
    assert code == 1 and "must be empty" in out + err
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["precious"]
        assert conn.execute(sa.text("SELECT count(*) FROM precious")).scalar() == 1
    engine.dispose()
