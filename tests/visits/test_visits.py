"""Visits: intervals from the settings, assignment, the visits-due list, the visit record and its need."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from marketplace.settings import service as settings
from marketplace.visits import plans, reminders
from marketplace.visits.models import Visit, VisitPlan
from tests.conftest import make_org, make_user, sign_in
from tests.visits.conftest import DAY, planned_household


def _plan(household_id: int) -> VisitPlan:
    db.session.expire_all()
    return db.session.scalar(sa.select(VisitPlan).where(VisitPlan.household_id == household_id))


def test_interval_is_the_more_frequent_of_category_and_group(app):
    assert plans.interval_for("tekun", "student_in_hardship") == 30  # 特困: monthly
    assert plans.interval_for("dibao", "student_in_hardship") == 90  # 低保: quarterly
    assert plans.interval_for("dibao", "severe_illness_disability") == 30  # severe illness: monthly
    assert plans.interval_for("temporary", "student_in_hardship") == 0  # no regular visit
    household = planned_household(category="dibao", group="student_in_hardship")
    assert _plan(household.id).interval_days == 90
    # The admin makes 低保 monthly: the next sync moves every 低保 plan.
    settings.set_value("visit_days_dibao", 30, actor=make_user(Role.ADMIN))
    assert plans.sync(clock.now())["changed"] == 1
    assert _plan(household.id).interval_days == 30


def test_admin_changes_a_visit_frequency_on_the_settings_page(app, as_role):
    admin = as_role(Role.ADMIN)
    page = admin.get("/admin/settings/").get_data(as_text=True)
    assert "visit_days_tekun" in page and "visit_grace_days" in page
    data = {key: (d.default // 100 if d.unit == "fen" else d.default) for key, d in settings.DEFINITIONS.items()}
    data["visit_days_tekun"] = 14
    assert admin.post("/admin/settings/", data=data).status_code == 302
    assert settings.get("visit_days_tekun") == 14


def test_visits_due_list_puts_the_most_overdue_first_and_filters_by_caseworker(app, as_role, at):
    staff = as_role(Role.STAFF)
    start = clock.now()
    late = planned_household()  # never visited: 50 days on file, past 30 + 14 days of grace
    overdue = planned_household()
    not_due = planned_household()
    db.session.execute(sa.update(VisitPlan).where(VisitPlan.household_id == overdue.id)
                       .values(last_visit_at=start + 15 * DAY))  # 35 days ago at the moment below
    db.session.execute(sa.update(VisitPlan).where(VisitPlan.household_id == not_due.id)
                       .values(last_visit_at=start + 45 * DAY, caseworker_id=staff.user.id))
    db.session.commit()
    at(start + 50 * DAY)
    page = staff.get("/staff/visits/due").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'/staff/visits/households/(\d+)"', page)]
    assert shown == [late.id, overdue.id]  # the one visited 5 days ago is not due
    assert "light-red" in page and "light-yellow" in page
    everyone = staff.get("/staff/visits/due?state=all").get_data(as_text=True)
    assert f"/staff/visits/households/{not_due.id}\"" in everyone
    mine = staff.get("/staff/visits/due?state=all&who=mine").get_data(as_text=True)
    assert re.findall(r'/staff/visits/households/(\d+)"', mine) == [str(not_due.id)]
    csv = staff.get("/staff/visits/due/export.csv").get_data(as_text=True)
    assert csv.count("\n") == 3 and f"#{late.id}" in csv.splitlines()[1]


def test_staff_of_another_district_see_no_visits_of_this_one(app, as_role):
    household = planned_household()
    other = as_role(Role.STAFF, region="440106")
    assert other.get(f"/staff/visits/households/{household.id}").status_code == 403
    assert other.get(f"/staff/visits/households/{household.id}/new").status_code == 403
    assert f"households/{household.id}\"" not in other.get("/staff/visits/due?state=all").get_data(as_text=True)


def test_assign_to_a_caseworker_of_the_region_or_a_social_work_project(app, as_role):
    household = planned_household()
    staff = as_role(Role.STAFF)
    caseworker = make_user(Role.STAFF, region="440104003")
    outsider = make_user(Role.STAFF, region="440106")
    project = make_org(kind="project")
    url = f"/staff/visits/households/{household.id}/assign"
    assert staff.post(url, data={"assignee": f"u{caseworker.id}"}).status_code == 302
    assert _plan(household.id).caseworker_id == caseworker.id
    assert staff.post(url, data={"assignee": f"u{outsider.id}"}).status_code == 400  # not of its region
    assert _plan(household.id).caseworker_id == caseworker.id
    assert staff.post(url, data={"assignee": f"o{project.id}"}).status_code == 302
    plan = _plan(household.id)
    assert (plan.caseworker_id, plan.organisation_id) == (None, project.id)
    assigned = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.assign")
                                  .order_by(AuditEvent.id)).all()
    assert len(assigned) == 2 and assigned[1].after == {"caseworker_id": None, "organisation_id": project.id}


def _visit_form(**extra: object) -> dict[str, object]:
    moment = clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")
    return {"visited_at": moment, "visitors": "王社工、居委李主任", "met": "yes", "seen": "冰箱坏了，老人独居。",
            **extra}


def test_a_visit_that_found_a_need_makes_a_draft_need_in_one_step(app, as_role):
    household = planned_household()
    staff = as_role(Role.STAFF)
    response = staff.post(f"/staff/visits/households/{household.id}/new", data=_visit_form(
        found_need="y", kind="wish", category="daily_living", title="一台冰箱", story="L阿姨，72岁，独居，冰箱坏了。",
        value_yuan="800"))
    assert response.status_code == 302
    visit = db.session.scalar(sa.select(Visit).where(Visit.household_id == household.id))
    assert visit.met and visit.visitors == "王社工、居委李主任" and visit.need_id is not None
    need = db.session.get(Need, visit.need_id)
    assert (need.status, need.title, need.household_id, need.value_fen) == ("draft", "一台冰箱", household.id, 80000)
    referral = db.session.get(Referral, need.referral_id)
    assert (referral.source, referral.status) == ("visit", "triaged")
    assert _plan(household.id).last_visit_at == visit.visited_at
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"visit.record", "need.create", "referral.triage"} <= actions
    page = staff.get(f"/staff/visits/households/{household.id}").get_data(as_text=True)
    assert "一台冰箱" in page and "王社工" in page


def test_a_need_whose_story_leaks_personal_data_is_refused_and_nothing_is_recorded(app, as_role):
    household = planned_household()
    staff = as_role(Role.STAFF)
    response = staff.post(f"/staff/visits/households/{household.id}/new", data=_visit_form(
        found_need="y", kind="wish", category="daily_living", title="一台冰箱",
        story="李桂芳阿姨独居，电话13800138000。", value_yuan="800"))
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_a_visit_without_a_need_and_without_meeting_anyone(app, as_role):
    household = planned_household()
    staff = as_role(Role.STAFF)
    assert staff.get(f"/staff/visits/households/{household.id}/new").status_code == 200
    response = staff.post(f"/staff/visits/households/{household.id}/new", data=_visit_form(met="no", seen="无人应门"))
    assert response.status_code == 302
    visit = db.session.scalar(sa.select(Visit))
    assert not visit.met and visit.need_id is None
    future = clock.local(clock.now() + 3 * DAY).strftime("%Y-%m-%dT%H:%M")
    assert staff.post(f"/staff/visits/households/{household.id}/new",
                      data=_visit_form(visited_at=future)).status_code == 400


def _light(household_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(Household, household_id).light


def test_overdue_visit_lights_yellow_then_red_and_a_visit_turns_it_back(app, as_role, at):
    from marketplace.lights.recompute import recompute

    household = planned_household()
    start = clock.now()
    recompute(start + 31 * DAY, full=True)
    db.session.commit()
    assert _light(household.id) == "yellow"  # 30 days: overdue
    recompute(start + 45 * DAY, full=True)
    db.session.commit()
    assert _light(household.id) == "red"  # past the 14 days of grace
    at(start + 45 * DAY)
    staff = as_role(Role.STAFF)
    assert staff.post(f"/staff/visits/households/{household.id}/new", data=_visit_form()).status_code == 302
    assert _light(household.id) is None  # visited: nothing left to light


def test_household_nobody_helped_for_the_set_period_turns_red(app):
    from marketplace.lights.recompute import recompute

    household = planned_household(category="temporary", group="student_in_hardship")  # no regular visit
    start = clock.now()
    recompute(start + 89 * DAY, full=True)
    db.session.commit()
    assert _light(household.id) is None
    recompute(start + 91 * DAY, full=True)
    db.session.commit()
    assert _light(household.id) == "red"  # 90 days without a confirmed need or a visit
    db.session.add(Visit(household_id=household.id, visited_at=start + 90 * DAY, visitors="王社工", met=True,
                         recorded_by_id=make_user(Role.STAFF).id))
    db.session.commit()
    recompute(start + 91 * DAY, full=True)
    db.session.commit()
    assert _light(household.id) is None


def test_the_caseworker_hears_once_per_missed_visit(app, as_role, at):
    household = planned_household()
    caseworker = make_user(Role.STAFF, region="440104003")
    db.session.execute(sa.update(VisitPlan).values(caseworker_id=caseworker.id))
    db.session.commit()
    start = clock.now()
    assert reminders.notify_overdue(start + 10 * DAY)["notified"] == 0
    assert reminders.notify_overdue(start + 31 * DAY)["notified"] == 1
    assert reminders.notify_overdue(start + 32 * DAY)["notified"] == 0  # told already
    db.session.commit()
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == caseworker.id))
    assert (note.kind, note.object_id) == ("visit_overdue", household.id)
    inbox = app.test_client()
    sign_in(inbox, caseworker)
    page = inbox.get("/notifications/").get_data(as_text=True)
    assert f"/staff/visits/households/{household.id}" in page and f"#{household.id}" in page
    db.session.execute(sa.update(VisitPlan).values(last_visit_at=start + 33 * DAY))
    assert reminders.notify_overdue(start + 64 * DAY)["notified"] == 1  # the next visit missed: told again


def test_visits_recorded_at_once_make_one_plan_that_counts_from_the_latest(app):
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from tests.conftest import make_need

    need = make_need("draft")  # no plan yet: the first visits make it
    household_id = need.household_id
    clients = []
    for _ in range(8):
        client = app.test_client()
        sign_in(client, make_user(Role.STAFF))
        clients.append(client)
    start = threading.Barrier(len(clients))
    now = clock.local(clock.now())

    def record(numbered):
        n, client = numbered
        start.wait()
        moment = (now - timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M")
        url = f"/staff/visits/households/{household_id}/new"
        return client.post(url, data=_visit_form(visited_at=moment)).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(record, enumerate(clients)))
    assert codes == [302] * len(clients)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == len(clients)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitPlan)) == 1
    latest = db.session.scalar(sa.select(sa.func.max(Visit.visited_at)))
    assert _plan(household_id).last_visit_at == latest
