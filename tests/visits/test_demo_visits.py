"""The demo holds visits due, overdue and done, and follow-ups due and done, for every page to show."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts import service as accounts
from marketplace.extensions import db
from marketplace.visits import plans
from marketplace.visits.models import FollowUp, Visit, VisitPlan
from tests.conftest import sign_in


def test_demo_visits_and_follow_ups(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    db.session.expire_all()
    cut = plans.Cutoffs.at(clock.now())
    count = lambda *where: db.session.scalar(sa.select(sa.func.count()).select_from(VisitPlan).where(*where))  # noqa: E731
    assert count(cut.late()) >= 3 and count(cut.overdue(), ~cut.late()) >= 3 and count(cut.due(), ~cut.overdue()) >= 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) >= 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.need_id.is_not(None))) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp).where(FollowUp.satisfaction > 0)) >= 2
    assert count(VisitPlan.organisation_id.is_not(None)) >= 1
    visits, notes = db.session.scalar(sa.select(sa.func.count()).select_from(Visit)), None
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == visits, notes
    client = app.test_client()
    sign_in(client, accounts.find_by_email("beijingjie@shanlian.demo"), "kapok-flower-2026")
    assert "light-red" in client.get("/staff/visits/due?who=mine").get_data(as_text=True)
    district = app.test_client()
    sign_in(district, accounts.find_by_email("yuexiu@shanlian.demo"), "kapok-flower-2026")
    assert "/staff/follow-ups/needs/" in district.get("/staff/follow-ups/").get_data(as_text=True)
    assert "/staff/follow-ups/needs/" in district.get("/staff/follow-ups/?status=done").get_data(as_text=True)
    assert "visits-by-region" in district.get("/staff/dashboard/").get_data(as_text=True)
