"""The unit of work: a request, a CLI command or a job keeps all of its writes, or none of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, get_flashed_messages

from marketplace import create_app
from marketplace.accounts.access import public
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.unit_of_work import command_blueprint, follow_up, refusal, transaction
from tests.conftest import app_config


def _probe_routes() -> Blueprint:
    """Routes that write one audit row and then succeed, fail or are refused."""
    bp = Blueprint("uow_probe", __name__, url_prefix="/probe")

    @bp.post("/ok")
    @public
    def ok() -> str:
        audit.record("probe.ok", actor_label="probe")
        return "ok"

    @bp.post("/bad")
    @public
    def bad() -> tuple[str, int]:
        audit.record("probe.bad", actor_label="probe")
        return "no", 409

    @bp.post("/refused")
    @public
    def refused() -> str:
        with refusal() as outcome:
            audit.record("probe.refused", actor_label="probe")
            raise DomainError("not now")
        return f"{bool(outcome)}:{outcome.message}:{get_flashed_messages()}"

    @bp.post("/crash")
    @public
    def crash() -> str:
        audit.record("probe.crash", actor_label="probe")
        raise RuntimeError("a bug")

    @bp.post("/follow")
    @public
    def follow() -> tuple[str, int]:
        audit.record("probe.main", actor_label="probe")
        follow_up(lambda response: audit.record("probe.follow", actor_label="probe",
                                                after={"status": response.status_code}))
        return "refused", 422

    return bp


def _probe_commands() -> Blueprint:
    bp = command_blueprint("uow_cli", __name__, "probe")

    @bp.cli.command("write")
    def write() -> None:
        audit.record("probe.cli", actor_label="probe")

    @bp.cli.command("refuse")
    def refuse() -> None:
        audit.record("probe.cli_refused", actor_label="probe")
        raise DomainError("the command is refused")

    return bp


@pytest.fixture
def probe_app(app: Flask) -> Iterator[Flask]:
    """A second app on the test database with the probe routes and commands."""
    probe = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    probe.register_blueprint(_probe_routes())
    probe.register_blueprint(_probe_commands())
    yield probe
    with probe.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _actions(probe: Flask) -> list[str]:
    with probe.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.startswith("probe."))
                                       .order_by(AuditEvent.id)))


def test_a_successful_request_keeps_its_writes_and_a_failed_one_keeps_none(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/ok").status_code == 200
    assert client.post("/probe/bad").status_code == 409
    assert client.post("/probe/crash").status_code == 500
    assert _actions(probe_app) == ["probe.ok"]


def test_a_refusal_is_shown_and_rolled_back(probe_app):
    response = probe_app.test_client().post("/probe/refused")
    assert response.get_data(as_text=True) == "True:not now:['not now']"
    assert _actions(probe_app) == []


def test_a_follow_up_runs_in_its_own_unit_after_the_request_rolled_back(probe_app):
    assert probe_app.test_client().post("/probe/follow").status_code == 422
    assert _actions(probe_app) == ["probe.follow"]
    with probe_app.app_context():
        row = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "probe.follow"))
        assert row.after == {"status": 422}


def test_a_command_is_one_unit_and_a_refusal_ends_it_with_its_message(probe_app):
    runner = probe_app.test_cli_runner()
    assert runner.invoke(args=["probe", "write"]).exit_code == 0
    refused = runner.invoke(args=["probe", "refuse"])
    assert refused.exit_code == 1 and "the command is refused" in refused.output
    assert _actions(probe_app) == ["probe.cli"]


def test_a_transaction_outside_a_request_rolls_back_on_any_error(probe_app):
    with probe_app.app_context():
        with pytest.raises(RuntimeError), transaction():
            audit.record("probe.job", actor_label="probe")
            raise RuntimeError("the job failed")
        with transaction():
            audit.record("probe.job_ok", actor_label="probe")
    assert _actions(probe_app) == ["probe.job_ok"]
