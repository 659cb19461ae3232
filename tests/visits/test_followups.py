"""Follow-ups: due a set number of days after a need closes, recorded once, satisfaction on the dashboard."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.visits.models import FollowUp
from tests.conftest import make_need, make_org, make_user, sign_in
from tests.visits.conftest import DAY, planned_household


def test_a_follow_up_falls_due_fourteen_days_after_the_need_closed(app, as_role, at):
    org = make_org(name="暖心社工服务中心")
    need = make_need("closed", org=org)
    staff = as_role(Role.STAFF)
    start = clock.now()
    at(start + 13 * DAY)
    assert f"/staff/follow-ups/needs/{need.id}\"" not in staff.get("/staff/follow-ups/").get_data(as_text=True)
    at(start + 15 * DAY)
    listed = staff.get("/staff/follow-ups/").get_data(as_text=True)
    assert f"/staff/follow-ups/needs/{need.id}\"" in listed
    queue = staff.get("/staff/").get_data(as_text=True)
    assert f"/staff/follow-ups/needs/{need.id}\"" in queue  # in the work queue too
    response = staff.post(f"/staff/follow-ups/needs/{need.id}", data={
        "reached": "yes", "solved": "yes", "satisfaction": "4", "comments": "老人很满意"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(FollowUp).where(FollowUp.need_id == need.id))
    assert (row.reached, row.solved, row.satisfaction, row.comments) == (True, True, 4, "老人很满意")
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "followup.record"))
    assert f"/staff/follow-ups/needs/{need.id}\"" not in staff.get("/staff/follow-ups/").get_data(as_text=True)
    done = staff.get("/staff/follow-ups/?status=done").get_data(as_text=True)
    assert f"/staff/follow-ups/needs/{need.id}\"" in done and "4/5" in done
    # The organisation's average on its staff-facing page, and the dashboard's figures.
    assert "4.0" in staff.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    dashboard = staff.get("/staff/dashboard/?region=440104").get_data(as_text=True)
    assert "visits-by-region" in dashboard and "暖心社工服务中心" in dashboard and "1/1" in dashboard


def test_reached_needs_a_satisfaction_and_an_unreached_household_needs_none(app, as_role):
    need = make_need("closed")
    staff = as_role(Role.STAFF)
    assert staff.post(f"/staff/follow-ups/needs/{need.id}", data={"reached": "yes"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0
    unreached = {"reached": "no", "satisfaction": "1"}
    assert staff.post(f"/staff/follow-ups/needs/{need.id}", data=unreached).status_code == 302
    row = db.session.scalar(sa.select(FollowUp))
    assert (row.reached, row.satisfaction) == (False, None)


def test_an_open_need_has_no_follow_up_and_other_regions_see_none(app, as_role):
    open_need = make_need("published")
    staff = as_role(Role.STAFF)
    assert staff.post(f"/staff/follow-ups/needs/{open_need.id}", data={"reached": "no"}).status_code == 400
    closed = make_need("closed")
    other = as_role(Role.STAFF, region="440106")
    assert other.get(f"/staff/follow-ups/needs/{closed.id}").status_code == 403


def test_ten_people_recording_one_follow_up_at_once_make_one(app):
    need = make_need("closed")
    planned_household()
    clients = []
    for _ in range(10):
        client = app.test_client()
        sign_in(client, make_user(Role.STAFF))
        clients.append(client)
    need_id = need.id
    start = threading.Barrier(len(clients))

    def record(client):
        start.wait()
        return client.post(f"/staff/follow-ups/needs/{need_id}", data={
            "reached": "yes", "solved": "yes", "satisfaction": "5"}).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(record, clients))
    assert sorted(codes) == [302] + [400] * 9
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "followup.record")) == 1
