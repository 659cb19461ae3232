"""The v1 additions of the status object: needs[].quantity and parts, the referral's outcome, and
renovation needs closing with their project's acceptance (each change enters the change feed)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.models import Role
from marketplace.api import status as status_module
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import service as households
from marketplace.households.models import Referral
from marketplace.needs import transitions
from tests.api.support import api_for
from tests.api.test_status import _draft, _sent, _status
from tests.conftest import make_org, make_user
from tests.parts.conftest import deliver_part

SINCE = "2000-01-01T00:00:00Z"


def _published(referral, staff, quantity: int = 1, title: str = "防跌倒套装"):  # type: ignore[no-untyped-def]
    draft = _draft(title)
    draft.quantity = quantity
    need = households.triage(referral, draft, actor=staff)
    transitions.publish(need, actor=staff)
    db.session.commit()
    return need


def test_parts_of_a_120_kit_need_as_the_source_sees_them(app):
    api, referral, path = _sent(app)
    staff = make_user(Role.ADMIN)
    need = _published(referral, staff, quantity=120)
    a, b = make_org(name="越秀爱心协会"), make_org(name="海珠义工队")
    promised = today_shanghai() + timedelta(days=5)
    transitions.claim(need, actor=a.members[0], promised_by=promised, quantity=80)
    db.session.commit()
    body = _status(api, path)
    (shown,) = body["needs"]
    assert (body["status"], shown["status"], shown["quantity"], shown["claimed_by"]) == ("published", "published",
                                                                                         120, None)
    assert shown["parts"] == [{"claimed_by": "越秀爱心协会", "quantity": 80, "status": "claimed",
                               "promised_by": promised.isoformat()}]
    transitions.claim(need, actor=b.members[0], promised_by=promised, quantity=40)
    deliver_part(need, a.members[0])
    db.session.commit()
    body = _status(api, path)
    assert body["status"] == "claimed" and body["outcome"] is None
    assert [(p["claimed_by"], p["quantity"], p["status"]) for p in body["needs"][0]["parts"]] == [
        ("越秀爱心协会", 80, "delivered"), ("海珠义工队", 40, "claimed")]
    transitions.release(need, actor=b.members[0], reason="")
    db.session.commit()
    parts = _status(api, path)["needs"][0]["parts"]
    assert [(p["quantity"], p["status"]) for p in parts] == [(80, "delivered"), (40, "released")]


def test_each_part_move_enters_the_change_feed(app):
    api, referral, _path = _sent(app)
    staff = make_user(Role.ADMIN)
    need = _published(referral, staff, quantity=120)
    cursor = api.get("/referrals", updated_since=SINCE).get_json()["next_cursor"]
    transitions.claim(need, actor=make_org().members[0], promised_by=today_shanghai() + timedelta(days=5),
                      quantity=30)
    db.session.commit()
    page = api.get("/referrals", cursor=cursor).get_json()
    assert [o["needs"][0]["parts"][0]["quantity"] for o in page["referrals"]] == [30]


def test_outcome_codes_helped_partly_not_helped_and_back_to_null_on_replan(app):
    api, referral, path = _sent(app)
    staff = make_user(Role.ADMIN)
    first, second = _published(referral, staff, title="一台电饭煲"), _published(referral, staff, title="一床棉被")
    member = make_org().members[0]
    transitions.claim(first, actor=member, promised_by=today_shanghai() + timedelta(days=3))
    deliver_part(first, member)
    transitions.confirm_by_caseworker(first, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert _status(api, path)["outcome"] is None  # the second need is still open
    second.claim_deadline = today_shanghai() - timedelta(days=1)
    db.session.commit()
    transitions.expire_overdue(today_shanghai())
    db.session.commit()
    outcome = _status(api, path)["outcome"]
    assert outcome["code"] == "partly_helped" and outcome["reason"] is None and outcome["at"].endswith("+08:00")
    transitions.replan(second, actor=staff, claim_deadline=today_shanghai() + timedelta(days=5),
                       fulfil_by=today_shanghai() + timedelta(days=10))
    db.session.commit()
    assert _status(api, path)["outcome"] is None  # re-opened by staff

    api2, other, path2 = _sent(app)
    lone = _published(other, staff)
    transitions.cancel(lone, actor=staff, reason="家属已购买")
    db.session.commit()
    assert _status(api2, path2)["outcome"]["code"] == "not_helped"


def test_a_coded_decline_is_the_outcome_reason(app):
    api, referral, path = _sent(app)
    households.decline(referral, actor=make_user(Role.ADMIN), reason="", code="out_of_area")
    db.session.commit()
    body = _status(api, path)
    assert body["outcome"]["code"] == "declined" and body["outcome"]["reason"] == "out_of_area"


def test_the_transfer_hook_gives_transferred(app):
    _api, referral, _path = _sent(app)
    staff = make_user(Role.ADMIN)
    need = _published(referral, staff)
    transitions.cancel(need, actor=staff, reason="转交民政部门")
    db.session.commit()
    handed = need.updated_at
    outcome = status_module.referral_outcome(referral, transferred_at=handed)
    assert outcome["code"] == "transferred" and outcome["reason"] is None


def test_a_renovation_need_closes_with_its_project_acceptance(app):
    from tests.projects.support import make_project

    project = make_project("accepted")
    referral = db.session.get(Referral, project.need.referral_id)
    api = api_for(app, source=referral.source)
    body = _status(api, f"/referrals/{referral.external_id}")
    assert body["status"] == "closed" and body["needs"][0]["status"] == "closed"
    assert body["outcome"]["code"] == "helped"


def test_the_openapi_document_declares_the_additions(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    text = str(document)
    for name in ("partly_helped", "not_eligible", "met_elsewhere", "released"):
        assert name in text
    schemas = document["components"]["schemas"]
    assert {"quantity", "parts"} <= set(schemas["NeedStatus"]["properties"])
    assert "outcome" in schemas["ReferralStatus"]["properties"]
    assert {"claimed_by", "quantity", "status", "promised_by"} <= set(schemas["Part"]["properties"])
    assert {"code", "reason", "at"} <= set(schemas["Outcome"]["properties"])
