"""Outlets redeem vouchers exactly once: right outlet, right day, serving hours; expiry is set-based."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.meals import codes, redemption, reports, vouchers
from marketplace.meals.models import Voucher, VoucherStatus
from tests.meals.support import (
    approve_pledge,
    book,
    make_company,
    make_outlet,
    outlet_client,
    phone,
)

SCANS = 200


def _verdict(response) -> str:
    html = response.get_data(as_text=True)
    marker = 'data-result="'
    assert response.status_code == 200 and marker in html, html[:800]
    return html.split(marker, 1)[1].split('"', 1)[0]


def _scanner_verdict(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response.get_json()["result"]


def _status(voucher_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Voucher, voucher_id).status


@pytest.mark.parametrize("path", ["/outlet/redeem", "/outlet/"], ids=["scanner", "page form"])
def test_200_concurrent_redemptions_of_one_voucher_one_succeeds(app, clock, path):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, phone(1), clock)
    signed_in = outlet_client(app, outlet)
    cookie = signed_in.get_cookie("shanlian_session").value
    clients = []
    for _ in range(SCANS):  # many phones at the counter, one outlet account
        client = app.test_client()
        client.set_cookie("shanlian_session", cookie)
        clients.append(client)
    code, start = booking.voucher.code, threading.Barrier(SCANS)
    db.session.commit()  # the test holds no transaction while the scans run

    def scan(client) -> str:
        start.wait()
        answer = client.post(path, data={"code": code})
        return _scanner_verdict(answer) if path == "/outlet/redeem" else _verdict(answer)

    with ThreadPoolExecutor(max_workers=SCANS) as pool:
        verdicts = list(pool.map(scan, clients))
    assert verdicts.count("valid") == 1 and verdicts.count("used") == SCANS - 1
    db.session.rollback()
    assert _status(booking.voucher.id) == VoucherStatus.REDEEMED
    redeems = sa.select(sa.func.count()).where(AuditEvent.action == "meal.redeem")
    assert db.session.scalar(redeems) == 1


def test_a_second_scan_says_when_it_was_redeemed(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, phone(1), clock)
    client = outlet_client(app, outlet)
    first = client.post("/outlet/", data={"code": codes.display(booking.voucher.code).lower()})
    assert _verdict(first) == "valid"
    clock.set(clock.today, 12, 45)
    second = client.post("/outlet/", data={"code": booking.voucher.code})
    assert _verdict(second) == "used"
    assert f"{clock.today.isoformat()} 12:00:00" in second.get_data(as_text=True)  # Guangzhou time, not UTC


def test_wrong_outlet_wrong_day_outside_hours_and_typos_are_invalid(app, clock):
    company = make_company()
    here, there = make_outlet(company, name="一号店"), make_outlet(company, name="二号店")
    for outlet in (here, there):
        approve_pledge(outlet, start=clock.today)
    today = book(here, phone(1), clock)
    tomorrow = book(here, phone(2), clock, day=clock.today + timedelta(days=1))
    elsewhere = book(there, phone(3), clock)
    client = outlet_client(app, here)

    def scan(code: str) -> tuple[str, str]:
        response = client.post("/outlet/", data={"code": code})
        return _verdict(response), response.get_data(as_text=True)

    assert scan(elsewhere.voucher.code)[0] == "invalid"
    assert "another outlet" in scan(elsewhere.voucher.code)[1]
    verdict, html = scan(tomorrow.voucher.code)
    assert verdict == "invalid" and (clock.today + timedelta(days=1)).isoformat() in html
    typo = today.voucher.code[:-1] + ("0" if today.voucher.code[-1] != "0" else "1")
    verdict, html = scan(typo)
    assert verdict == "invalid" and "typo" in html
    assert scan("ZZZZZZZZ" + codes.check_character("ZZZZZZZZ"))[0] == "invalid"
    clock.set(clock.today, 10, 30)
    verdict, html = scan(today.voucher.code)
    assert verdict == "invalid" and "not started" in html
    clock.set(clock.today, 14, 0)
    verdict, html = scan(today.voucher.code)
    assert verdict == "invalid" and "over" in html
    for booking in (today, tomorrow, elsewhere):
        assert _status(booking.voucher.id) == VoucherStatus.BOOKED
    clock.set(clock.today, 13, 59)
    assert scan(today.voucher.code)[0] == "valid"


def test_cancelled_voucher_is_invalid(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, phone(1), clock)
    client.post(f"/meals/v/{booking.token}/cancel")
    verdict_page = outlet_client(app, outlet).post("/outlet/", data={"code": booking.voucher.code})
    assert _verdict(verdict_page) == "invalid" and "cancelled" in verdict_page.get_data(as_text=True)


def test_expiry_is_set_based_idempotent_and_runs_from_the_cli(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    eaten, missed = book(outlet, phone(1), clock), book(outlet, phone(2), clock)
    later = book(outlet, phone(3), clock, day=clock.today + timedelta(days=1))
    redemption.redeem(eaten.voucher.code, counter=outlet_client(app, outlet).user, now=clock.moment)
    db.session.commit()
    assert vouchers.expire_vouchers(clock.moment) == 0  # serving not over yet
    clock.set(clock.today, 14, 0)
    result = app.test_cli_runner().invoke(args=["meals", "expire"])
    assert result.exit_code == 0 and "expired 1 voucher" in result.output
    assert vouchers.expire_vouchers(clock.moment) == 0  # idempotent
    db.session.commit()
    statuses = {b.voucher.id: _status(b.voucher.id) for b in (eaten, missed, later)}
    assert statuses == {eaten.voucher.id: "redeemed", missed.voucher.id: "expired", later.voucher.id: "booked"}
    expired_events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "meal.expire")).all()
    assert [e.object_id for e in expired_events] == [str(missed.voucher.id)]
    counts = reports.outlet_day(outlet.id, clock.today)
    assert (counts.pledged, counts.booked, counts.redeemed, counts.expired, counts.waiting) == (10, 2, 1, 1, 0)


def test_the_scheduler_expires_missed_vouchers_once_per_tick(app, clock):
    from marketplace.scheduler.jobs import registry, run_tick

    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    missed = book(outlet, phone(1), clock)
    job = next(j for j in registry() if j.id == "expire_vouchers")
    assert run_tick(job, clock.moment, holder="test").result == {"expired": 0}  # still serving
    clock.set(clock.today, 14, 0)
    assert run_tick(job, clock.moment, holder="test").result == {"expired": 1}
    assert run_tick(job, clock.moment, holder="other") is None  # the same tick never runs twice
    assert _status(missed.voucher.id) == "expired"


def test_redeemed_meals_are_counted_per_company(app, clock):
    first, second = make_outlet(make_company(name="甲公司")), make_outlet(make_company(name="乙公司"))
    for outlet in (first, second):
        approve_pledge(outlet, start=clock.today)
    staff = {first.id: outlet_client(app, first).user, second.id: outlet_client(app, second).user}
    for n, outlet in enumerate((first, first, second, first)):
        booking = book(outlet, phone(n), clock)
        redemption.redeem(booking.voucher.code, counter=staff[outlet.id], now=clock.moment)
    book(second, phone(9), clock)  # booked, not eaten: no points
    db.session.commit()
    rows = reports.redeemed_meals_by_company(clock.moment - timedelta(hours=1), clock.moment + timedelta(hours=1))
    assert [(org, count) for org, count, _last in rows] == [(first.organisation_id, 3), (second.organisation_id, 1)]
    assert reports.redeemed_meals_by_company(clock.moment + timedelta(hours=1), clock.moment + timedelta(days=1)) == []
    assert reports.meals_served() == 4


def test_the_scanner_gets_the_answer_as_json_counts_only(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=4, start=clock.today)
    booking = book(outlet, phone(1), clock)
    book(outlet, phone(2), clock)
    client = outlet_client(app, outlet)
    first = client.post("/outlet/redeem", data={"code": booking.voucher.code}).get_json()
    assert first["result"] == "valid" and first["word"] == "Valid"
    assert first["counts"] == {"pledged": 4, "booked": 2, "redeemed": 1, "waiting": 1}
    assert set(first) == {"counts", "result", "word", "message"}
    second = client.post("/outlet/redeem", data={"code": booking.voucher.code}).get_json()
    assert second["result"] == "used" and f"{clock.today.isoformat()} 12:00:00" in second["message"]
    assert second["counts"]["redeemed"] == 1
    typo = client.post("/outlet/redeem", data={"code": "ABC"}).get_json()
    assert typo["result"] == "invalid" and "typo" in typo["message"] and typo["counts"]["waiting"] == 1
    empty = client.post("/outlet/redeem", data={}).get_json()
    assert empty["result"] == "invalid" and "Type or scan" in empty["message"]
    redeemed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "meal.redeem"))
    assert (redeemed.actor_id, redeemed.actor_label) == (client.user.id, client.user.email)
    assert redeemed.object_id == str(booking.voucher.id) and redeemed.after == {"outlet_id": outlet.id}


def test_the_scanner_checks_the_sign_in_in_its_own_statement(app, clock, as_role):
    """The scanner's endpoint loads no account first: a session that ended, an account disabled or
    moved to another company, or a suspended company redeem nothing, and are refused as on any page."""
    from marketplace.accounts import service as accounts
    from marketplace.accounts.models import Role
    from marketplace.organisations.models import OrgStatus
    from tests.conftest import make_org, make_user

    outlet = make_outlet()
    approve_pledge(outlet, meals=9, start=clock.today)
    bookings = [book(outlet, phone(n), clock) for n in range(4)]

    def scan(client, booking) -> tuple[int, str]:
        answer = client.post("/outlet/redeem", data={"code": booking.voucher.code})
        return answer.status_code, answer.headers.get("Location", "")

    assert scan(app.test_client(), bookings[0])[0] == 302  # signed out: to the sign-in page
    assert scan(as_role(Role.STAFF), bookings[0]) == (403, "")  # another role
    ended = outlet_client(app, outlet)
    accounts.end_sessions(ended.user)  # signed out elsewhere: this cookie's session version is old
    db.session.commit()
    status, location = scan(ended, bookings[0])
    assert status == 302 and "/login" in location
    disabled = outlet_client(app, outlet)
    disabled.user.is_enabled = False
    db.session.commit()
    assert scan(disabled, bookings[0])[0] == 302
    moved = outlet_client(app, outlet)
    admin = make_user(Role.ADMIN)
    accounts.change_access(moved.user, actor=admin, role=Role.OUTLET_STAFF, region_code=None,
                           organisation_id=make_org(kind="company").id, is_enabled=True)
    db.session.commit()
    assert moved.user.outlet_id is None  # an outlet belongs to one company
    assert _status(bookings[0].voucher.id) == VoucherStatus.BOOKED
    counter = outlet_client(app, outlet)
    outlet.organisation.status = OrgStatus.REJECTED
    db.session.commit()
    answer = counter.post("/outlet/redeem", data={"code": bookings[1].voucher.code}).get_json()
    assert answer["result"] == "invalid" and "approved company" in answer["message"] and answer["counts"] is None
    outlet.organisation.status = OrgStatus.APPROVED
    db.session.commit()
    assert _scanner_verdict(counter.post("/outlet/redeem", data={"code": bookings[1].voucher.code})) == "valid"
    assert [_status(b.voucher.id) for b in bookings] == ["booked", "redeemed", "booked", "booked"]


def test_the_scanner_endpoint_requires_the_forms_csrf_token(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, phone(1), clock)
    client = outlet_client(app, outlet)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/outlet/redeem", data={"code": booking.voucher.code})
        assert refused.status_code == 400
        assert _status(booking.voucher.id) == VoucherStatus.BOOKED
        page = client.get("/outlet/").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        assert 'data-redeem-url="/outlet/redeem"' in page
        answer = client.post("/outlet/redeem", data={"code": booking.voucher.code, "csrf_token": token})
        assert _scanner_verdict(answer) == "valid"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_scan_survives_a_dead_database_connection(app, clock):
    """PostgreSQL: pooled connections the server has dropped (it restarted) are replaced, and the scan
    goes through, once. (SQLite has no connection to lose.)"""
    if db.engine.dialect.name != "postgresql":
        return
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    first, second = book(outlet, phone(1), clock), book(outlet, phone(2), clock)
    client = outlet_client(app, outlet)
    killed = db.session.execute(sa.text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        # this test process's own connections only (its schema's name): other workers' stay
        " AND application_name = current_setting('application_name')")).all()
    db.session.commit()
    assert killed  # the pool's connections, the sign-in's among them
    assert _scanner_verdict(client.post("/outlet/redeem", data={"code": first.voucher.code})) == "valid"
    assert _scanner_verdict(client.post("/outlet/redeem", data={"code": first.voucher.code})) == "used"
    assert _scanner_verdict(client.post("/outlet/redeem", data={"code": second.voucher.code})) == "valid"
    redeems = sa.select(sa.func.count()).where(AuditEvent.action == "meal.redeem")
    assert db.session.scalar(redeems) == 2


def test_the_days_counters_agree_with_the_vouchers(app, clock):
    """The counter's screen reads one row of counters; they match the vouchers counted one by one
    after bookings, a cancellation, redemptions by the scanner and by the page, and expiry."""
    outlet = make_outlet()
    approve_pledge(outlet, meals=8, start=clock.today)
    bookings = [book(outlet, phone(n), clock) for n in range(6)]
    vouchers.cancel(bookings[5].voucher, now=clock.moment)
    db.session.commit()
    client = outlet_client(app, outlet)
    assert _scanner_verdict(client.post("/outlet/redeem", data={"code": bookings[0].voucher.code})) == "valid"
    assert _scanner_verdict(client.post("/outlet/redeem", data={"code": bookings[0].voucher.code})) == "used"
    assert _verdict(client.post("/outlet/", data={"code": bookings[1].voucher.code})) == "valid"
    answer = client.post("/outlet/redeem", data={"code": bookings[2].voucher.code}).get_json()
    assert answer["counts"] == {"pledged": 8, "booked": 5, "redeemed": 3, "waiting": 2}

    def both() -> tuple:
        counted = reports.company_days(outlet.organisation_id, clock.today, clock.today, clock.moment)[0]
        kept = reports.outlet_day(outlet.id, clock.today)
        return ((kept.pledged, kept.booked, kept.redeemed, kept.expired, kept.waiting),
                (counted.pledged, counted.booked, counted.redeemed, counted.expired, counted.waiting))

    db.session.rollback()
    kept, counted = both()
    assert kept == counted == (8, 5, 3, 0, 2)
    clock.set(clock.today, 14, 0)
    assert vouchers.expire_vouchers(clock.moment) == 2
    assert vouchers.expire_vouchers(clock.moment) == 0
    db.session.commit()
    kept, counted = both()
    assert kept == counted == (8, 5, 3, 2, 0)
