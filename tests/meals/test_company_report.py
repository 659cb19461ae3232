"""A company's meal page: a chart of meals pledged, booked and redeemed per day, and an export of
the page's table (CSV and XLSX) that says the same as the page. Counts only, as everywhere a
company looks: no phone number or code of a resident in the page or the files."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from marketplace.accounts.models import Role
from marketplace.meals import redemption
from tests import chart_support
from tests.conftest import sign_in
from tests.meals.support import approve_pledge, book, make_company, make_outlet, make_outlet_staff, phone


def _served_yesterday(clock):  # type: ignore[no-untyped-def]
    """Two outlets of one company (and another company's): bookings yesterday and today, some redeemed.

    Yesterday 粤味 A had 3 booked, 2 redeemed, 1 expired; 粤味 B 1 booked and expired; today B has 1 to come.
    """
    company = make_company(name="粤味餐饮")
    first, second = make_outlet(company, name="粤味 A"), make_outlet(company, name="粤味 B")
    other = make_outlet(make_company(name="别家餐饮"), name="别家")
    for outlet, meals in ((first, 10), (second, 5), (other, 8)):
        approve_pledge(outlet, meals=meals, start=clock.today, days=7)
    counter = make_outlet_staff(first)
    for n in range(3):
        booking = book(first, phone(n), clock)
        if n < 2:
            redemption.redeem(booking.voucher.code, counter=counter, now=clock.moment)
    book(second, phone(10), clock)
    book(second, phone(11), clock, day=clock.today + timedelta(days=1))
    book(other, phone(20), clock)
    yesterday = clock.today
    clock.next_day()
    return company, yesterday


def _member(app, company):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, company.members[0])
    return client


def test_chart_shows_meals_per_day_of_all_our_outlets(app, clock):
    """Every day of the page's three weeks by its date, the company's outlets summed, nobody else's."""
    company, yesterday = _served_yesterday(clock)
    page = _member(app, company).get("/org/meals/").get_data(as_text=True)
    meals = chart_support.chart(page, "meals")
    days = [clock.today + timedelta(days=i) for i in range(-14, 8)]
    assert meals["labels"] == [f"{d:%m-%d}" for d in days]
    assert meals["long_labels"] == [d.isoformat() for d in days]
    values = chart_support.series(meals)
    i = days.index(yesterday)
    assert (values["pledged"][i], values["booked"][i], values["redeemed"][i]) == (15, 4, 2)
    assert (values["pledged"][i + 1], values["booked"][i + 1], values["redeemed"][i + 1]) == (15, 1, 0)
    assert values["booked"][:i] == [0] * i  # before the pledges: zeros, not gaps
    assert sum(values["booked"]) == 5  # 别家's booking is not ours
    rows = chart_support.table(page, "meals")  # the same figures, readable without JavaScript
    assert rows[0] == ["Day", "pledged", "booked", "redeemed"]
    assert rows[1 + i] == [yesterday.isoformat(), "15", "4", "2"]


def test_chart_speaks_chinese(app, clock):
    """Series and axis names in the reader's language."""
    company, _ = _served_yesterday(clock)
    member = _member(app, company)
    member.get("/lang/zh_Hans")
    meals = chart_support.chart(member.get("/org/meals/").get_data(as_text=True), "meals")
    assert [s["name"] for s in meals["series"]] == ["已认捐", "已预订", "已核销"]
    assert (meals["label_axis"], meals["value_axis"]) == ("日期", "份数")


def test_export_matches_the_page(app, clock):
    """CSV and XLSX hold the page's table row for row (totals included), as an attachment."""
    company, yesterday = _served_yesterday(clock)
    member = _member(app, company)
    page = member.get("/org/meals/").get_data(as_text=True)
    shown = chart_support.read(page).tables["meals-per-outlet"]
    assert [yesterday.isoformat(), "粤味 A", "10", "3", "2", "1", "0"] in shown

    response = member.get("/org/meals/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    start, end = clock.today - timedelta(days=14), clock.today + timedelta(days=7)
    assert response.headers["Content-Disposition"] == f"attachment; filename=shanlian-meals-{start}-{end}.csv"
    text = response.get_data(as_text=True)
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == shown
    assert "别家" not in text and phone(0) not in text

    book_ = load_workbook(io.BytesIO(member.get("/org/meals/export.xlsx").data))
    cells = [["" if v is None else str(v) for v in row] for row in book_.active.iter_rows(values_only=True)]
    assert cells == shown


def test_export_is_for_the_company_only(app, as_role, clock):
    """A charity's member may not export meals; an unknown format is no page."""
    company, _ = _served_yesterday(clock)
    assert as_role(Role.ORG_MEMBER).get("/org/meals/export.csv").status_code == 403
    assert _member(app, company).get("/org/meals/export.pdf").status_code == 404
