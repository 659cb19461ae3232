"""The closed loop back to the source: the status object through every later state of a referral."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import service as households
from marketplace.households.models import Referral
from marketplace.needs import transitions
from marketplace.needs.models import Need
from tests.api.support import api_for
from tests.conftest import make_org, make_user, referral_payload, tiny_jpeg


def _draft(title: str = "一台电饭煲") -> households.NeedDraft:
    today = today_shanghai()
    return households.NeedDraft(
        kind="wish", category="daily_living", title=title, story="L阿姨，72岁，独居，电饭煲坏了。", quantity=1,
        value_fen=29900, is_urgent=False, claim_deadline=today + timedelta(days=10),
        fulfil_by=today + timedelta(days=30),
    )


def _sent(app):
    api = api_for(app)
    payload = referral_payload()
    assert api.post("/referrals", payload).status_code == 201
    referral = db.session.scalar(sa.select(Referral).where(Referral.external_id == payload["external_id"]))
    return api, referral, f"/referrals/{payload['external_id']}"


def _status(api, path: str) -> dict:
    response = api.get(path)
    assert response.status_code == 200
    return response.get_json()


def test_status_follows_triage_publish_claim_deliver_and_close(app):
    api, referral, path = _sent(app)
    staff, org = make_user(Role.ADMIN), make_org(name="越秀爱心协会")
    member = org.members[0]
    before = _status(api, path)["updated_at"]

    need = households.triage(referral, _draft(), actor=staff)
    db.session.commit()
    body = _status(api, path)
    assert body["status"] == "triaged" and body["updated_at"] >= before
    assert body["needs"] == [{"id": str(need.id), "kind": "wish", "status": "draft", "light": None,
                              "claimed_by": None, "promised_by": None, "closed_at": None, "rating": None,
                              "feedback": None, "transfer": None, "offer": None, "quantity": 1, "parts": []}]
    assert body["outcome"] is None

    transitions.publish(need, actor=staff)
    db.session.commit()
    assert _status(api, path)["status"] == "published"

    promised = today_shanghai() + timedelta(days=7)
    transitions.claim(need, actor=member, promised_by=promised)
    db.session.commit()
    body = _status(api, path)
    assert body["status"] == "claimed"
    assert body["needs"][0]["claimed_by"] == "越秀爱心协会" and body["needs"][0]["promised_by"] == promised.isoformat()
    # A need taken whole has one part covering its quantity.
    assert body["needs"][0]["parts"] == [{"claimed_by": "越秀爱心协会", "quantity": 1, "status": "claimed",
                                          "promised_by": promised.isoformat()}]

    transitions.add_evidence(need, actor=member, kind="photo", stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(need, actor=member)
    db.session.commit()
    assert _status(api, path)["status"] == "delivered"

    transitions.confirm_by_caseworker(need, actor=staff, rating=4, feedback="送货及时，老人很满意")
    db.session.commit()
    body = _status(api, path)
    closed = body["needs"][0]
    assert body["status"] == "closed"
    assert (closed["status"], closed["rating"], closed["feedback"]) == ("closed", 4, "送货及时，老人很满意")
    assert closed["closed_at"].endswith("+08:00") and closed["claimed_by"] == "越秀爱心协会"
    assert [p["status"] for p in closed["parts"]] == ["closed"]
    assert body["outcome"] == {"code": "helped", "reason": None, "at": closed["closed_at"]}


def test_declined_with_the_reason(app):
    api, referral, path = _sent(app)
    households.decline(referral, actor=make_user(Role.ADMIN), reason="已由街道直接救助")
    db.session.commit()
    body = _status(api, path)
    assert (body["status"], body["decline_reason"], body["needs"]) == ("declined", "已由街道直接救助", [])
    assert body["outcome"]["code"] == "declined" and body["outcome"]["reason"] == "other"
    assert body["outcome"]["at"].endswith("+08:00")


def test_the_least_advanced_live_need_sets_the_status_and_all_cancelled_is_cancelled(app):
    api, referral, path = _sent(app)
    staff = make_user(Role.ADMIN)
    first = households.triage(referral, _draft("一台电饭煲"), actor=staff)
    second = households.triage(referral, _draft("一床棉被"), actor=staff)
    transitions.publish(first, actor=staff)
    transitions.publish(second, actor=staff)
    transitions.claim(first, actor=make_org().members[0], promised_by=today_shanghai() + timedelta(days=3))
    db.session.commit()
    assert _status(api, path)["status"] == "published"  # the slower need decides

    transitions.cancel(second, actor=staff, reason="家属已购买")
    db.session.commit()
    assert _status(api, path)["status"] == "claimed"  # a cancelled need no longer holds it back

    transitions.release(first, actor=staff, reason="机构无法完成")
    transitions.cancel(first, actor=staff, reason="不再需要")
    db.session.commit()
    assert _status(api, path)["status"] == "cancelled"


def test_an_expired_need_reads_as_published_and_the_worst_light_shows(app):
    api, referral, path = _sent(app)
    staff = make_user(Role.ADMIN)
    first = households.triage(referral, _draft("一台电饭煲"), actor=staff)
    second = households.triage(referral, _draft("一床棉被"), actor=staff)
    transitions.publish(first, actor=staff)
    transitions.publish(second, actor=staff)
    db.session.commit()
    db.session.execute(sa.update(Need).where(Need.id == first.id).values(
        light="yellow", claim_deadline=today_shanghai() - timedelta(days=1)))
    db.session.execute(sa.update(Need).where(Need.id == second.id).values(light="green"))
    transitions.expire_overdue(today_shanghai())
    db.session.commit()
    body = _status(api, path)
    assert body["status"] == "published" and body["light"] == "yellow"
    assert [n["status"] for n in body["needs"]] == ["expired", "published"]
    assert [n["light"] for n in body["needs"]] == ["yellow", "green"]


def test_household_is_one_opaque_value_per_source_and_id_number(app):
    api, other = api_for(app), api_for(app, "district-system")
    first, second = (referral_payload(household={"id_number": "440104197001015555"}) for _ in range(2))
    stranger = referral_payload(household={"id_number": "440104197001016666"})
    for payload in (first, second, stranger):
        assert api.post("/referrals", payload).status_code == 201
    elsewhere = referral_payload(household={"id_number": "440104197001015555"})
    assert other.post("/referrals", elsewhere).status_code == 201
    one, two, three = (_status(api, f"/referrals/{p['external_id']}")["household"] for p in (first, second, stranger))
    theirs = _status(other, f"/referrals/{elsewhere['external_id']}")["household"]
    assert one == two != three  # the same ID number, though sent as two households of the source
    assert theirs != one  # another source's value for the same household tells it nothing
    assert "5555" not in one and "440104" not in one and not one[2:].isdigit()
    feed = api.get("/referrals", updated_since="2000-01-01T00:00:00Z").get_json()["referrals"]
    assert {o["household"] for o in feed} == {one, three}
