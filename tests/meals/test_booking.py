"""Residents book meals: phone kept only as a keyed hash, one meal per number per day, three free,
then an eligibility code; cancel frees the meal; quotas are never oversold; booking is rate-limited."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.extensions import db, limiter
from marketplace.meals import codes, eligibility, redemption, vouchers
from marketplace.meals.errors import MealError
from marketplace.meals.models import EligibilityCode, MealDay, Voucher, VoucherStatus
from marketplace.meals.phones import phone_hash
from tests.conftest import PASSWORD, make_user
from tests.meals.support import approve_pledge, book, make_outlet, make_outlet_staff, phone

PHONE = "13800138000"


def _voucher_path(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"]


def _redeem(outlet, booking, clock):
    return redemption.redeem(booking.voucher.code, counter=make_outlet_staff(outlet), now=clock.moment)


def test_book_over_the_web_and_see_the_qr_and_code(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=5, start=clock.today)
    page = client.get("/meals/").get_data(as_text=True)
    assert outlet.name in page and "5" in page
    response = client.post(f"/meals/outlets/{outlet.id}/book",
                           data={"day": clock.today.isoformat(), "phone": "138 0013 8000"})
    voucher_page = client.get(_voucher_path(response))
    html = voucher_page.get_data(as_text=True)
    voucher = db.session.scalars(sa.select(Voucher)).one()
    assert voucher_page.status_code == 200 and voucher_page.headers["Cache-Control"] == "private, no-store"
    assert '<svg' in html and 'class="qr"' in html and codes.display(voucher.code) in html
    assert voucher.phone_hash == phone_hash(PHONE) and PHONE not in repr(voucher.__dict__)
    assert db.session.get(MealDay, (outlet.id, clock.today)).booked == 1


def test_one_meal_per_number_per_day_and_cancel_frees_meal_and_number(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=1, start=clock.today)
    first = book(outlet, PHONE, clock)
    with pytest.raises(MealError, match="already has a meal"):
        book(outlet, PHONE, clock)
    db.session.rollback()
    with pytest.raises(MealError, match="no meals are left"):
        book(outlet, phone(2), clock)
    db.session.rollback()
    token_path = f"/meals/v/{first.token}"
    assert client.post(f"{token_path}/cancel").status_code == 302
    assert 'data-status="cancelled"' in client.get(token_path).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Voucher, first.voucher.id).status == VoucherStatus.CANCELLED
    assert db.session.get(MealDay, (outlet.id, clock.today)).booked == 0
    book(outlet, phone(2), clock)  # the meal is free again
    assert book(outlet, PHONE, clock, day=clock.today + timedelta(days=1)).voucher.serve_date > clock.today
    assert client.post(f"{token_path}/cancel").status_code == 302  # cancelling twice changes nothing
    db.session.expire_all()
    assert db.session.get(MealDay, (outlet.id, clock.today)).booked == 1


def test_cannot_cancel_after_serving_hours_nor_book_past_days(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=3, start=clock.today)
    booking = book(outlet, PHONE, clock)
    clock.set(clock.today, 14, 30)
    with pytest.raises(MealError, match="no longer be cancelled"):
        vouchers.cancel(booking.voucher, now=clock.moment)
    with pytest.raises(MealError, match="serving has ended"):
        book(outlet, phone(3), clock)
    with pytest.raises(MealError, match="today or tomorrow"):
        book(outlet, phone(3), clock, day=clock.today + timedelta(days=2))
    db.session.rollback()


def test_three_free_meals_then_an_eligibility_code(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=5, start=clock.today, days=10)
    for _ in range(3):
        _redeem(outlet, book(outlet, PHONE, clock), clock)
        db.session.commit()
        clock.next_day()
    with pytest.raises(MealError, match="free meals"):
        book(outlet, PHONE, clock)
    db.session.rollback()
    staff = make_user(Role.STAFF, region="440104")
    row, code = eligibility.issue_code(actor=staff, note="个案 A-17", valid_days=30, today=clock.today)
    db.session.commit()
    assert row.code_hash == eligibility.code_hash(codes.normalise(code)) and codes.normalise(code) not in str(
        db.session.execute(sa.select(EligibilityCode.__table__)).all())
    with pytest.raises(MealError, match="mistyped"):
        book(outlet, PHONE, clock, code=code[:-1] + ("0" if code[-1] != "0" else "1"))
    db.session.rollback()
    fourth = book(outlet, PHONE, clock, code=code.lower())
    assert fourth.voucher.eligibility_code_id == row.id
    # The code is now bound to this number: another number cannot use it …
    with pytest.raises(MealError, match="not valid"):
        book(outlet, phone(4), clock, code=code)
    db.session.rollback()
    # … and this number need not type it again.
    _redeem(outlet, fourth, clock)
    db.session.commit()
    clock.next_day()
    assert book(outlet, PHONE, clock).voucher.eligibility_code_id == row.id
    # Revoked: no more meals with it.
    eligibility.revoke_code(row, actor=staff, now=clock.moment)
    db.session.commit()
    clock.next_day()
    with pytest.raises(MealError, match="free meals"):
        book(outlet, PHONE, clock)
    db.session.rollback()


def test_an_expired_code_books_nothing(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    staff = make_user(Role.STAFF, region="440104")
    _row, code = eligibility.issue_code(actor=staff, note="", valid_days=1, today=clock.today - timedelta(days=5))
    db.session.commit()
    with pytest.raises(MealError, match="not valid"):
        book(outlet, PHONE, clock, code=code)
    db.session.rollback()


@pytest.mark.parametrize("meals", [7])
def test_quota_of_n_meals_against_5n_concurrent_bookings(app, clock, meals):
    outlet = make_outlet()
    approve_pledge(outlet, meals=meals, start=clock.today)
    outlet_id, day = outlet.id, clock.today.isoformat()
    people = 5 * meals
    clients = [app.test_client() for _ in range(people)]
    start = threading.Barrier(people)
    db.session.commit()  # the test holds no transaction while the bookings run

    def attempt(n: int) -> int:
        start.wait()
        response = clients[n].post(f"/meals/outlets/{outlet_id}/book", data={"day": day, "phone": phone(100 + n)})
        return response.status_code

    with ThreadPoolExecutor(max_workers=people) as pool:
        statuses = list(pool.map(attempt, range(people)))
    db.session.rollback()
    assert statuses.count(302) == meals and statuses.count(200) == people - meals  # the others were told why
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == meals
    assert db.session.get(MealDay, (outlet_id, clock.today)).booked == meals


def test_booking_is_rate_limited_per_client(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, meals=50, start=clock.today)
    app.config["MEAL_BOOKING_RATE_LIMIT"] = "3 per minute"
    limiter.enabled = True
    limiter.reset()
    try:
        statuses = [client.post(f"/meals/outlets/{outlet.id}/book",
                                data={"day": clock.today.isoformat(), "phone": phone(n)}).status_code
                    for n in range(5)]
        assert client.get(f"/meals/outlets/{outlet.id}/book").status_code == 200  # reading is not limited
    finally:
        app.config.pop("MEAL_BOOKING_RATE_LIMIT")
        limiter.enabled = False
    assert statuses == [302, 302, 302, 429, 429]


def test_lost_voucher_page_comes_back_with_number_and_code(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, PHONE, clock)
    wrong = client.post("/meals/find", data={"phone": phone(9), "code": booking.voucher.code})
    assert wrong.status_code == 200 and "No voucher matches" in wrong.get_data(as_text=True)
    found = client.post("/meals/find", data={"phone": PHONE, "code": codes.display(booking.voucher.code)})
    assert re.search(r"/meals/v/[\w-]+$", _voucher_path(found))
    assert client.get(f"/meals/v/{booking.token}").status_code == 404  # the old page secret was replaced


def test_phone_form_refuses_non_numbers(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    response = client.post(f"/meals/outlets/{outlet.id}/book", data={"day": clock.today.isoformat(), "phone": "12"})
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == 0


def test_a_refused_second_booking_leads_to_the_meal_already_booked(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    first = book(outlet, PHONE, clock)
    again = client.post(f"/meals/outlets/{outlet.id}/book", data={"day": clock.today.isoformat(), "phone": PHONE})
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "already has a meal" in html
    assert 'action="/meals/find"' in html and "Show the meal I booked" in html
    shown = client.post("/meals/find", data={"phone": PHONE})  # what the button sends
    assert codes.display(first.voucher.code) in client.get(_voucher_path(shown)).get_data(as_text=True)
    other = client.post(f"/meals/outlets/{outlet.id}/book", data={"day": clock.today.isoformat(), "phone": "12"})
    assert 'action="/meals/find"' not in other.get_data(as_text=True)  # only after that refusal


def test_the_number_alone_finds_the_next_meal(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    tomorrow = book(outlet, PHONE, clock, day=clock.today + timedelta(days=1))
    today = book(outlet, PHONE, clock)
    found = client.get(_voucher_path(client.post("/meals/find", data={"phone": "138 0013 8000"})))
    assert codes.display(today.voucher.code) in found.get_data(as_text=True)  # today's before tomorrow's
    vouchers.cancel(today.voucher, now=clock.moment)
    db.session.commit()
    found = client.get(_voucher_path(client.post("/meals/find", data={"phone": PHONE})))
    assert codes.display(tomorrow.voucher.code) in found.get_data(as_text=True)
    none = client.post("/meals/find", data={"phone": phone(7)})
    assert none.status_code == 200 and "no meal booked" in none.get_data(as_text=True)


def test_finding_by_number_is_limited_per_number_whatever_the_address(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    book(outlet, PHONE, clock)
    usual, app.config["MEAL_FIND_RATE_LIMIT"] = app.config["MEAL_FIND_RATE_LIMIT"], "2 per minute"
    limiter.enabled = True
    limiter.reset()
    try:
        statuses = [client.post("/meals/find", data={"phone": PHONE},
                                environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(3)]
        other = client.post("/meals/find", data={"phone": phone(3)}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    finally:
        app.config["MEAL_FIND_RATE_LIMIT"] = usual
        limiter.enabled = False
    assert statuses == [302, 302, 429]
    assert other.status_code == 200  # another number is not slowed by this one's guesser


def test_cancel_asks_first(app, client, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    booking = book(outlet, PHONE, clock)
    page = client.get(f"/meals/v/{booking.token}").get_data(as_text=True)
    assert f'href="/meals/v/{booking.token}/cancel"' in page  # a link to the question, not the deed
    assert "QR code of your meal: the counter scans it" in page  # the QR has a text label
    question = client.get(f"/meals/v/{booking.token}/cancel")
    assert question.status_code == 200 and "Yes, cancel my meal" in question.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Voucher, booking.voucher.id).status == VoucherStatus.BOOKED  # asking changed nothing
    assert client.post(f"/meals/v/{booking.token}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Voucher, booking.voucher.id).status == VoucherStatus.CANCELLED
    after = client.get(f"/meals/v/{booking.token}/cancel")
    assert after.status_code == 302  # nothing left to give back: the voucher page says so


def test_outlet_staff_land_on_the_redeem_screen(app, client):
    counter = make_outlet_staff(make_outlet())
    db.session.commit()
    response = client.post("/login", data={"email": counter.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/outlet/"
