"""Leaderboards: delivered help only, published once per closed period, never changed after."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.leaderboards import periods, publish
from marketplace.leaderboards.models import LeaderboardSnapshot, SnapshotImmutable
from marketplace.needs.models import Need
from tests.conftest import make_need, make_org


def _close_at(need: Need, when: datetime) -> None:
    need.closed_at = when
    db.session.commit()


def test_only_confirmed_needs_count_and_snapshot_never_changes(app, client):
    fast = make_org(kind="company", name="快手爱心企业")
    slow = make_org(kind="company", name="慢手爱心企业")
    last_week = datetime(2026, 11, 18, 10, tzinfo=SHANGHAI)  # a Wednesday of the week before 2026-11-23
    _close_at(make_need("closed", org=fast), last_week)
    _close_at(make_need("closed", org=fast), last_week)
    _close_at(make_need("closed", org=slow), last_week)
    make_need("delivered", org=slow)  # delivered but not confirmed: no points
    make_need("claimed", org=slow)
    now = datetime(2026, 11, 25, 9, tzinfo=SHANGHAI)
    assert publish.publish_due(now) >= 4
    snapshot = db.session.scalar(db.select(LeaderboardSnapshot).where(
        LeaderboardSnapshot.board == "company", LeaderboardSnapshot.period == "week"))
    assert [(e.name, e.points) for e in snapshot.entries] == [("快手爱心企业", 2 * (10 + 2)), ("慢手爱心企业", 12)]
    # later data never rewrites a published snapshot
    _close_at(make_need("closed", org=slow), last_week + timedelta(hours=1))
    assert publish.publish_due(now) == 0
    db.session.expire_all()
    assert [e.points for e in db.session.get(LeaderboardSnapshot, snapshot.id).entries] == [24, 12]
    snapshot.entries[0].points = 999
    with pytest.raises(SnapshotImmutable):
        db.session.flush()
    db.session.rollback()
    page = client.get("/leaderboards?board=company&period=week").get_data(as_text=True)
    assert page.index("快手爱心企业") < page.index("慢手爱心企业")


def test_ties_go_to_more_contributions_then_the_earlier(app):
    a, b = make_org(kind="charity", name="甲"), make_org(kind="charity", name="乙")
    day = datetime(2026, 11, 18, 10, tzinfo=SHANGHAI)
    _close_at(make_need("closed", org=b), day)
    _close_at(make_need("closed", org=a), day - timedelta(hours=3))
    ranking = publish.points.rank("charity", datetime(2026, 11, 16, tzinfo=SHANGHAI),
                                  datetime(2026, 11, 23, tzinfo=SHANGHAI))
    assert [s.name for s in ranking] == ["甲", "乙"]  # same points and count: 甲 got there first


def test_badge_for_top_companies_and_staff_provisional(app, as_role, client):
    from marketplace.accounts.models import Role

    company = make_org(kind="company", name="榜首企业")
    _close_at(make_need("closed", org=company), datetime(2026, 10, 15, 10, tzinfo=SHANGHAI))
    publish.publish_due(datetime(2026, 11, 2, 9, tzinfo=SHANGHAI))
    db.session.commit()
    assert "badge" in client.get(f"/organisations/{company.id}").get_data(as_text=True)
    other = make_org(kind="company", name="无榜企业")
    assert 'class="badge"' not in client.get(f"/organisations/{other.id}").get_data(as_text=True)
    make_need("closed", org=other)  # this month: provisional only
    staff = as_role(Role.STAFF)
    assert "无榜企业" in staff.get("/staff/leaderboards?board=company&period=month").get_data(as_text=True)
    assert "无榜企业" not in client.get("/leaderboards?board=company&period=month").get_data(as_text=True)


def test_redeemed_meals_count_for_companies(app):
    """One point per redeemed meal, on the company board only (DESIGN §7)."""
    from marketplace.leaderboards import points
    from marketplace.meals import redemption
    from tests.meals import support as meals

    clock = next(meals.fixed_clock(app))
    company = meals.make_company("助餐企业")
    outlet = meals.make_outlet(company)
    meals.approve_pledge(outlet, meals=10, start=clock.today)
    staff = meals.make_outlet_staff(outlet)
    for n in range(3):
        booking = meals.book(outlet, meals.phone(n), clock)
        if n < 2:  # the third is booked but never redeemed: it earns nothing
            redemption.redeem(booking.voucher.code, counter=staff, now=clock.moment)
            db.session.commit()
    day = periods.start_of("week", clock.today)
    start, end = periods.bounds(day, periods.next_start("week", day))
    assert [(s.name, s.points) for s in points.rank("company", start, end)] == [("助餐企业", 2)]
    assert points.rank("charity", start, end) == []
    app.config.pop("CLOCK", None)


def test_top_companies_carry_the_badge_on_their_outlets_and_vouchers(app, client):
    from marketplace.leaderboards import publish as publishing
    from tests.meals import support as meals

    clock = next(meals.fixed_clock(app))
    top = meals.make_company("榜首餐饮")
    other = meals.make_company("普通餐饮")
    outlets = {}
    for company in (top, other):
        outlets[company.id] = meals.make_outlet(company, name=f"{company.name}一店")
        meals.approve_pledge(outlets[company.id], meals=5, start=clock.today)
    last_month = periods.previous_start("month", periods.start_of("month", clock.today))
    _close_at(make_need("closed", org=top), periods.midnight(last_month) + timedelta(days=3))
    publishing.publish_due(clock.moment)
    db.session.commit()
    page = client.get("/meals/").get_data(as_text=True)
    badge = '<span class="badge">'
    assert f"{outlets[top.id].name} {badge}" in page
    assert f"{outlets[other.id].name} {badge}" not in page
    app.config.pop("CLOCK", None)
