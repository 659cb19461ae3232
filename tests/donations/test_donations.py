"""Donations through Stripe (localstripe): payments, the webhook applied once, over-funding, refunds."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import stripe

from marketplace.accounts.models import Role
from marketplace.donations import service
from marketplace.donations.models import Donation, StripeEvent
from marketplace.extensions import db
from marketplace.leaderboards.points import rank
from marketplace.projects.models import Milestone, PlanLine
from tests.conftest import make_user, sign_in
from tests.donations.support import intent_event, signed, stripe_config
from tests.projects.support import make_project


@pytest.fixture
def giving(app):  # type: ignore[no-untyped-def]
    """Online giving on, without a Stripe server (webhook tests sign their own events)."""
    with stripe_config(app, None):
        yield


def _donation(project, amount_fen: int = 100_000, **kw):  # type: ignore[no-untyped-def]
    donation = service.start(project=project, district_code=project.district_code, amount_fen=amount_fen, **kw)
    db.session.commit()
    return donation


def _pay(donation, payment_method: str):  # type: ignore[no-untyped-def]
    marker = service.claim_payment(donation)
    db.session.commit()
    try:
        intent = service.create_intent(donation, payment_method)
    except stripe.CardError:
        service.payment_refused(donation, marker)
    else:
        service.record_intent(donation, marker, intent.id)
    db.session.commit()


def _wait_for(donation, status: str, seconds: float = 15) -> Donation:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        fresh = db.session.get(Donation, donation.id)
        if fresh.status == status:
            return fresh
        time.sleep(0.1)
    raise AssertionError(f"donation stayed {fresh.status}, expected {status}")


def _events() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent))


def test_pm_card_visa_ends_as_one_succeeded_donation_then_an_admin_refund(app, hooked):  # noqa: F811
    project = make_project("plan_approved", lines=(300_000, 200_000))
    donation = _donation(project, 350_000, donor_name="张先生", show_name=True)
    _pay(donation, "pm_card_visa")
    done = _wait_for(donation, "succeeded")
    assert done.payment_intent_id.startswith("pi_") and done.project_fen == 350_000 and done.general_fund_fen == 0
    assert sorted(db.session.scalars(sa.select(PlanLine.confirmed_fen))) == [50_000, 300_000]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 1
    now = datetime.now(UTC)
    assert [s.name for s in rank("donor", now - timedelta(days=1), now + timedelta(days=1))] == ["张先生"]

    service.refund(done, actor=make_user(Role.ADMIN))
    db.session.commit()
    assert done.status == "refunded"
    assert sorted(db.session.scalars(sa.select(PlanLine.confirmed_fen))) == [0, 0]
    assert sorted(db.session.scalars(sa.select(PlanLine.reserved_fen))) == [0, 0]
    assert rank("donor", now - timedelta(days=1), now + timedelta(days=1)) == []
    with pytest.raises(service.DonationError):
        service.refund(done, actor=make_user(Role.ADMIN))


def test_pm_card_visa_charge_declined_ends_as_failed(app, hooked):  # noqa: F811
    project = make_project("plan_approved")
    donation = _donation(project)
    _pay(donation, "pm_card_visa_chargeDeclined")
    failed = _wait_for(donation, "failed")
    assert failed.project_fen == 0 and sum(db.session.scalars(sa.select(PlanLine.confirmed_fen))) == 0


def test_the_same_event_ten_times_at_once_makes_one_donation(app, giving):
    project = make_project("plan_approved", lines=(500_000,))
    donation = _donation(project, 100_000)
    payload, signature = signed(intent_event("payment_intent.succeeded", donation, event_id="evt_once"))
    clients = [app.test_client() for _ in range(10)]
    start = threading.Barrier(10)

    def deliver(client):  # type: ignore[no-untyped-def]
        start.wait()
        return client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature,
                                                                     "Content-Type": "application/json"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(deliver, clients))
    assert all(r.status_code == 200 for r in responses)
    assert sorted(r.get_data(as_text=True) for r in responses) == ["applied"] + ["duplicate"] * 9
    assert _events() == 1
    assert db.session.get(PlanLine, project.lines[0].id).confirmed_fen == 100_000
    assert db.session.get(Donation, donation.id).status == "succeeded"


def test_a_failed_event_after_success_and_retries_change_nothing(app, giving, client):
    project = make_project("plan_approved", lines=(500_000,))
    donation = _donation(project, 100_000)
    for event in (intent_event("payment_intent.succeeded", donation, event_id="evt_ok"),
                  intent_event("payment_intent.payment_failed", donation, event_id="evt_late_fail"),
                  intent_event("payment_intent.succeeded", donation, event_id="evt_ok")):
        payload, signature = signed(event)
        assert client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature}).status_code == 200
    db.session.rollback()
    fresh = db.session.get(Donation, donation.id)
    assert fresh.status == "succeeded" and fresh.failed_at is None
    assert db.session.get(PlanLine, project.lines[0].id).confirmed_fen == 100_000
    assert _events() == 2


@pytest.mark.parametrize("case", ["tampered", "stale", "future", "unsigned", "wrong_secret"])
def test_bad_webhooks_are_refused_and_write_nothing(app, giving, client, case):
    project = make_project("plan_approved")
    donation = _donation(project)
    event = intent_event("payment_intent.succeeded", donation, event_id="evt_bad")
    now = int(time.time())
    payload, signature = signed(event, at={"stale": now - 3600, "future": now + 600}.get(case, now),
                                secret="whsec_other" if case == "wrong_secret" else "whsec_shanlian_test")
    if case == "tampered":
        payload = payload.replace(b'"amount": 100000', b'"amount": 900000')
    headers = {} if case == "unsigned" else {"Stripe-Signature": signature}
    response = client.post("/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert _events() == 0 and db.session.get(Donation, donation.id).status == "created"


def test_over_funding_goes_to_the_districts_general_fund(app, giving, client):
    project = make_project("plan_approved", lines=(200_000,))
    first, second = _donation(project, 200_000), _donation(project, 150_000)  # both fit when they start
    for n, donation in enumerate((first, second)):
        payload, signature = signed(intent_event("payment_intent.succeeded", donation, event_id=f"evt_{n}",
                                                 intent_id=f"pi_{n}"))
        client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})
    db.session.rollback()
    a, b = db.session.get(Donation, first.id), db.session.get(Donation, second.id)
    assert (a.project_fen, a.general_fund_fen) == (200_000, 0)
    assert (b.project_fen, b.general_fund_fen) == (0, 150_000)
    assert service.general_fund_fen(project.district_code) == 150_000
    assert db.session.get(PlanLine, project.lines[0].id).confirmed_fen == 200_000
    db.session.refresh(project)
    assert project.milestone == Milestone.COVERED
    page = client.get(f"/donations/{b.token}").get_data(as_text=True)
    assert "150,000.00" not in page and "1,500.00" in page  # the thank-you page says where it went


def test_the_amount_is_limited_to_what_the_project_still_needs(app, giving, client):
    project = make_project("plan_approved", lines=(100_000,))
    with pytest.raises(service.DonationError):
        service.start(project=project, district_code=project.district_code, amount_fen=100_001)
    response = client.post(f"/projects/{project.id}/give", data={"amount": "1000.01"})
    assert response.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    response = client.post(f"/projects/{project.id}/give", data={"amount": "1000", "donor_name": "李"})
    assert response.status_code == 302 and "/pay" in response.headers["Location"]
    pay_page = client.get(response.headers["Location"])
    csp = pay_page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in csp and "js/donate.js" in pay_page.get_data(as_text=True)


def test_without_stripe_keys_giving_pages_say_online_giving_is_off(app, client):
    project = make_project("plan_approved")
    client.get("/lang/en")
    for url in (f"/projects/{project.id}/give", f"/projects/{project.id}", "/districts/440104/give"):
        page = client.get(url)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "Online giving is off" in text, url
    client.post(f"/projects/{project.id}/give", data={"amount": "10"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    assert client.post("/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"}).status_code == 400


def test_a_receipt_is_emailed_once_when_smtp_is_configured(app, giving, client, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            pass

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *args):  # type: ignore[no-untyped-def]
            return False

        def send_message(self, message):  # type: ignore[no-untyped-def]
            sent.append(message)

    monkeypatch.setattr("marketplace.donations.receipt.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    project = make_project("plan_approved")
    donation = _donation(project, 100_000, email="donor@example.cn")
    for event_id in ("evt_r1", "evt_r2"):
        payload, signature = signed(intent_event("payment_intent.succeeded", donation, event_id=event_id))
        client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert len(sent) == 1 and sent[0]["To"] == "donor@example.cn"


def test_the_admin_menu_links_the_donations_list(app, client):
    sign_in(client, make_user(Role.ADMIN))
    client.get("/lang/en")
    menu = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/donations"' in menu
    listing = client.get("/admin/donations")
    assert listing.status_code == 200 and "<h1>Donations</h1>" in listing.get_data(as_text=True)
    # The status filter speaks the admin's language and keeps the chosen status selected.
    client.get("/lang/zh_Hans")
    filtered = client.get("/admin/donations?status=refunded").get_data(as_text=True)
    assert '<option value="refunded" selected>已退款</option>' in filtered
    assert ">refunded<" not in filtered
