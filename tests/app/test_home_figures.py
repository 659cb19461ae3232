"""The home page's live figures (DESIGN §10): needs closed this month, meals served, homes repaired,
beside the approved organisations and districts it showed already. Each counts exactly what it
says, and none reads the big tables (needs, vouchers) on a page every visitor opens."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.clock import SHANGHAI
from marketplace.dashboard.compute import compute_all
from marketplace.extensions import db
from marketplace.meals import redemption, vouchers
from marketplace.meals.timing import at_local
from marketplace.needs.models import Need
from tests.conftest import make_need
from tests.meals.support import Clock, approve_pledge, book, make_outlet, make_outlet_staff, phone
from tests.projects.support import make_project

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=SHANGHAI)


def figure(page: str, name: str) -> str:
    """The number the home page shows for one figure."""
    found = re.search(rf'data-figure="{name}"><strong>([^<]*)</strong>', page)
    assert found, f"no figure {name!r} on the home page"
    return found.group(1)


@pytest.fixture
def at_now(app):  # type: ignore[no-untyped-def]
    """The app's clock stopped at NOW (4 November 2026, Guangzhou)."""
    app.config["CLOCK"] = lambda: NOW
    yield NOW
    app.config.pop("CLOCK", None)


def _closed_at(when: datetime) -> None:
    need = make_need("closed")
    db.session.execute(sa.update(Need).where(Need.id == need.id).values(
        published_at=when - timedelta(days=5), closed_at=when))
    db.session.commit()


def test_needs_closed_this_month_not_last_months(client, at_now):
    """Two closed in November (one in its first hour), one on 31 October: 2 this month, 1 last month."""
    _closed_at(datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI))  # still 31 October in UTC
    _closed_at(datetime(2026, 11, 3, 15, 0, tzinfo=SHANGHAI))
    _closed_at(datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI))
    make_need("claimed")  # open: not closed in any month
    compute_all(NOW)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert figure(page, "closed_this_month") == "2"
    assert "上月：1" in page
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    assert "needs closed this month" in page and "last month: 1" in page


def test_before_the_first_recompute_the_figure_is_a_dash(client, at_now):
    """No figures computed yet: a dash, not a zero that would be untrue."""
    make_need("closed")
    assert figure(client.get("/").get_data(as_text=True), "closed_this_month") == "—"


def test_meals_served_are_the_redeemed_ones(app, client):
    """Redeemed meals count; booked, cancelled and expired ones do not."""
    clock = Clock(app, at_local(NOW.date(), 12))
    try:
        outlet = make_outlet()
        approve_pledge(outlet, meals=10, start=clock.today)
        counter = make_outlet_staff(outlet)
        bookings = [book(outlet, phone(n), clock) for n in range(5)]
        for booking in bookings[:2]:
            redemption.redeem(booking.voucher.code, counter=counter, now=clock.moment)
        vouchers.cancel(bookings[2].voucher, now=clock.moment)
        db.session.commit()
        clock.next_day()
        vouchers.expire_vouchers(clock.moment)  # the two left unredeemed expire
        db.session.commit()
        assert figure(client.get("/").get_data(as_text=True), "meals") == "2"
    finally:
        app.config.pop("CLOCK", None)


def test_homes_repaired_are_accepted_projects(client):
    """A renovation counts once the home is accepted, not while works go on."""
    make_project("accepted")
    make_project("works_started")
    page = client.get("/").get_data(as_text=True)
    assert figure(page, "homes") == "1"
    assert "户住房已改造" in page


def test_home_figures_never_read_needs_or_vouchers(app, client, at_now):
    """Every figure comes from a small table or a precomputed row: no statement of the home page
    reads the needs or vouchers tables, which grow with every need and every meal."""
    make_need("closed")
    compute_all(NOW)
    db.session.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.get("/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert statements, "the listener saw nothing"
    big = [s for s in statements if re.search(r"\b(FROM|JOIN)\s+(needs|vouchers)\b", s, re.IGNORECASE)]
    assert not big, big
