"""The source sees a transfer through the API: in GET, in the change feed, and in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households import service as households
from marketplace.households.models import Referral
from marketplace.needs import transitions
from marketplace.transfers import service
from marketplace.transfers.models import Transfer
from tests.api.support import api_for
from tests.conftest import make_user, referral_payload


def test_the_source_reads_the_transfer_and_its_answer(app, departments):
    api = api_for(app)
    payload = referral_payload()
    assert api.post("/referrals", payload).status_code == 201
    referral = db.session.scalar(sa.select(Referral).where(Referral.external_id == payload["external_id"]))
    staff = make_user(Role.STAFF)
    today = clock.today()
    need = households.triage(referral, households.NeedDraft(
        kind="wish", category="medical", title="助听器", story="W伯伯，80岁，听力下降，需要助听器。", quantity=1,
        value_fen=150000, is_urgent=False, claim_deadline=today + timedelta(days=10),
        fulfil_by=today + timedelta(days=30)), actor=staff)
    transitions.publish(need, actor=staff)
    db.session.commit()
    feed = api.get("/referrals", updated_since="2000-01-01T00:00:00Z").get_json()
    cursor = feed["next_cursor"]
    assert feed["referrals"][0]["needs"][0]["transfer"] is None

    service.transfer_need(need, actor=staff, department=departments["残联"], due_on=today + timedelta(days=7),
                          note="请残联评估并适配助听器。")
    db.session.commit()
    changed = api.get("/referrals", cursor=cursor).get_json()
    assert [r["external_id"] for r in changed["referrals"]] == [payload["external_id"]]
    shown = changed["referrals"][0]["needs"][0]
    assert shown["status"] == "draft"
    assert shown["transfer"] == {"department": "残联", "status": "requested",
                                 "due": (today + timedelta(days=7)).isoformat(), "answer": None}

    transfer = db.session.scalars(sa.select(Transfer)).one()
    service.answer(transfer, actor=staff, outcome="taken_over", text="残联已为其适配助听器。")
    db.session.commit()
    again = api.get("/referrals", cursor=changed["next_cursor"]).get_json()["referrals"]
    assert again[0]["needs"][0]["transfer"]["status"] == "answered"
    assert again[0]["needs"][0]["transfer"]["answer"] == "残联已为其适配助听器。"
    assert service.ended_by_transfer(db.session.get(Referral, referral.id))


def test_the_openapi_document_declares_the_transfer(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    transfer = schemas["Transfer"]
    assert set(transfer["properties"]) == {"department", "status", "due", "answer"}
    assert transfer["properties"]["status"]["enum"] == ["requested", "answered", "overdue"]
    assert "transfer" in schemas["NeedStatus"]["properties"]
