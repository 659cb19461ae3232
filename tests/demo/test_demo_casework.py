"""The demo's departments, transfers and leads: something to show on every page, loaded once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.leads.models import Lead
from marketplace.transfers.models import Department, Transfer
from tests.conftest import load_demo


@pytest.fixture
def loaded(app):
    load_demo(app)
    return app


def _states() -> tuple[list, list]:
    transfers = sorted(db.session.execute(sa.select(Transfer.status, Transfer.outcome)).all(), key=str)
    leads = sorted(db.session.scalars(sa.select(Lead.status)).all())
    return transfers, leads


def test_the_demo_holds_departments_open_answered_and_overdue_transfers_and_leads(loaded):
    departments = db.session.scalars(sa.select(Department)).all()
    assert {"医保局", "住建局", "人社局", "教育局", "残联", "卫健局"} <= {d.name for d in departments}
    assert all(d.contact_phone for d in departments)
    transfers, leads = _states()
    assert {status for status, _ in transfers} == {"requested", "answered", "overdue"}
    assert ("answered", "taken_over") in transfers
    assert leads.count("new") >= 2 and "referred" in leads and "closed" in leads
    lights = set(db.session.scalars(sa.select(Lead.light).where(Lead.status == "new")))
    assert {"yellow", "red"} <= lights
    referred = db.session.scalars(sa.select(Lead).where(Lead.status == "referred")).one()
    assert referred.referral is not None and referred.referral.source == "lead"


def test_a_second_load_adds_no_transfer_or_lead(loaded):
    before = _states()
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _states() == before
