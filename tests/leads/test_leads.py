"""Anyone reports a household; the street's staff triage the lead into a referral or close it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from marketplace.households.models import Referral
from marketplace.leads.models import Lead
from marketplace.lights.recompute import recompute
from marketplace.notifications.models import Notification
from marketplace.regions.models import Region
from tests.conftest import make_user, sign_in

DESCRIPTION = "楼下独居的陈伯，最近腿脚不便，家里漏水没人修。"


def _street(name: str = "北京街道") -> str:
    return db.session.scalar(sa.select(Region.code).where(Region.name == name, Region.parent_code == "440104"))


def _report(client, **extra):
    data = {"street_code": _street(), "description": DESCRIPTION, "household_contact": "北京路XX号3楼，电话13900001111",
            "reporter_contact": "", "website": "", **extra}
    return client.post("/leads/new", data=data)


def _staff_refer_data(street: str) -> dict[str, str]:
    return {"category": "dibao", "group": "elderly_special_difficulty", "street_code": street, "members": "1",
            "head_name": "陈伯", "phone": "13900001111", "address": "北京路XX号", "id_number": "",
            "need_kind": "service", "need_category": "home_safety", "title": "修补漏水屋顶",
            "description": DESCRIPTION, "quantity": "1", "value_yuan": "800",
            "needed_by": (clock.today() + timedelta(days=30)).isoformat()}


def test_the_public_reports_without_an_account_and_the_street_staff_hear_of_it(app, client):
    staff = make_user(Role.STAFF, region=_street())
    other = make_user(Role.STAFF, region="440106")
    page = client.get("/leads/new").get_data(as_text=True)
    assert 'id="privacy"' in page and 'name="website"' in page
    assert "/leads/new" in client.get("/").get_data(as_text=True)  # linked from every page's footer
    response = _report(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/leads/thanks")
    lead = db.session.scalars(sa.select(Lead)).one()
    assert lead.status == "new" and lead.reporter_kind == "public" and lead.reporter_id is None
    assert lead.street_code == _street() and lead.district_code == "440104"
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "lead_reported")).all()
    assert told == [staff.id] and other.id not in told
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "lead.report")).one()
    assert event.actor_label == "anonymous" and "13900001111" not in str(event.after)


def test_a_filled_honeypot_is_dropped_but_answers_like_a_success(app, client):
    response = _report(client, website="http://spam.example")
    assert response.status_code == 302 and response.headers["Location"].endswith("/leads/thanks")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_too_short_a_report_is_refused_beside_the_field(app, client):
    response = _report(client, description="帮帮")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_reports_are_rate_limited(app, client):
    app.config["LEAD_RATE_LIMIT"] = "2 per minute"
    limiter.enabled = True
    try:
        limiter.reset()
        codes = [_report(client).status_code for _ in range(3)]
    finally:
        limiter.enabled = False
        app.config.pop("LEAD_RATE_LIMIT")
    assert codes == [302, 302, 429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 2


def test_a_signed_in_organisation_member_reports_with_the_reporter_prefilled(app, as_role):
    member = as_role(Role.ORG_MEMBER)
    page = member.get("/leads/new").get_data(as_text=True)
    assert member.user.organisation.name in page
    _report(member, reporter_contact=member.user.email)
    lead = db.session.scalars(sa.select(Lead)).one()
    assert lead.reporter_kind == "organisation" and lead.reporter_id == member.user.id


def test_staff_make_a_lead_a_referral_and_the_chain_is_kept(app, client, as_role):
    _report(client)
    lead = db.session.scalars(sa.select(Lead)).one()
    staff = as_role(Role.STAFF)
    detail = staff.get(f"/staff/leads/{lead.id}").get_data(as_text=True)
    assert "13900001111" not in detail  # the contacts only after an explicit, audited "show"
    shown = staff.post(f"/staff/leads/{lead.id}").get_data(as_text=True)
    assert "北京路XX号3楼" in shown
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "lead.view_personal")) == 1
    form = staff.get(f"/staff/leads/{lead.id}/refer").get_data(as_text=True)
    assert DESCRIPTION in form
    response = staff.post(f"/staff/leads/{lead.id}/refer", data=_staff_refer_data(_street()))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.rollback()
    lead = db.session.get(Lead, lead.id)
    referral = db.session.get(Referral, lead.referral_id)
    assert lead.status == "referred" and referral.source == "lead" and referral.external_id == f"L{lead.id}"
    assert referral.status == "received"
    assert f"/staff/leads/{lead.id}" in staff.get(f"/staff/referrals/{referral.id}").get_data(as_text=True)
    assert f"/staff/referrals/{referral.id}" in staff.get(f"/staff/leads/{lead.id}").get_data(as_text=True)
    again = staff.post(f"/staff/leads/{lead.id}/refer", data=_staff_refer_data(_street()))
    assert again.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 1


def test_an_invalid_referral_is_refused_beside_its_fields_and_the_lead_stays_new(app, client, as_role):
    _report(client)
    lead = db.session.scalars(sa.select(Lead)).one()
    staff = as_role(Role.STAFF)
    data = {**_staff_refer_data(_street()), "head_name": ""}
    response = staff.post(f"/staff/leads/{lead.id}/refer", data=data)
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Lead, lead.id).status == "new"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_staff_close_a_lead_with_a_reason(app, client, as_role):
    _report(client)
    lead = db.session.scalars(sa.select(Lead)).one()
    staff = as_role(Role.STAFF)
    assert staff.post(f"/staff/leads/{lead.id}/close", data={"reason": "other", "note": ""}).status_code == 400
    assert staff.post(f"/staff/leads/{lead.id}/close", data={"reason": "already_known"}).status_code == 302
    db.session.rollback()
    lead = db.session.get(Lead, lead.id)
    assert lead.status == "closed" and lead.close_reason == "already_known"
    assert f"/staff/leads/{lead.id}" not in staff.get("/staff/").get_data(as_text=True)  # no longer waiting
    listed = staff.get("/staff/leads/?status=closed").get_data(as_text=True)
    assert f"/staff/leads/{lead.id}" in listed


def test_leads_are_region_scoped(app, client, as_role):
    _report(client)
    lead = db.session.scalars(sa.select(Lead)).one()
    other = as_role(Role.STAFF, region="440106")
    assert other.get(f"/staff/leads/{lead.id}").status_code == 403
    assert other.post(f"/staff/leads/{lead.id}/close", data={"reason": "already_known"}).status_code == 403
    assert f"/staff/leads/{lead.id}" not in other.get("/staff/leads/").get_data(as_text=True)
    assert as_role(Role.ORG_MEMBER).get("/staff/leads/").status_code == 403


def test_untriaged_leads_light_up_and_wait_in_the_queue(app, client, as_role):
    _report(client)
    lead = db.session.scalars(sa.select(Lead)).one()
    staff = as_role(Role.STAFF)
    queue = staff.get("/staff/").get_data(as_text=True)
    assert 'id="leads"' in queue and f"/staff/leads/{lead.id}" in queue
    recompute(clock.now() + timedelta(days=1, hours=1))
    db.session.commit()
    assert db.session.get(Lead, lead.id).light == "yellow"
    recompute(clock.now() + timedelta(days=3, hours=1))
    db.session.commit()
    assert db.session.get(Lead, lead.id).light == "red"
    assert f"/staff/leads/{lead.id}" in staff.get("/staff/leads/?light=red").get_data(as_text=True)
    csv = staff.get("/staff/leads/export.csv").get_data(as_text=True)
    assert "13900001111" not in csv and len(csv.strip().splitlines()) == 2


def test_concurrent_triage_of_one_lead_has_one_winner(app, client):
    _report(client)
    lead_id = db.session.scalars(sa.select(Lead.id)).one()
    street = _street()
    clients = []
    for _ in range(6):
        c = app.test_client()
        sign_in(c, make_user(Role.STAFF))
        clients.append(c)
    start = threading.Barrier(len(clients))

    def go(args):
        n, c = args
        start.wait()
        if n % 2:
            return c.post(f"/staff/leads/{lead_id}/close", data={"reason": "already_known"}).status_code
        return c.post(f"/staff/leads/{lead_id}/refer", data=_staff_refer_data(street)).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(go, enumerate(clients)))
    assert sorted(codes) == [302] + [400] * (len(clients) - 1)
    db.session.rollback()
    triaged = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action.in_(("lead.refer", "lead.close"))))
    assert triaged == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) <= 1
