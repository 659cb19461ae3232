"""Staff transfer a need (or a referral) to a department, record its answer; overdue ones light red."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.api.status import status_object
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.models import Referral
from marketplace.lights.recompute import recompute
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from marketplace.transfers import service
from marketplace.transfers.models import Transfer
from tests.conftest import make_need, make_user, referral_payload, sign_in


def _transfer(client, need, department, days=10, note="请医保局核实大病医疗救助资格。"):
    due = (clock.today() + timedelta(days=days)).isoformat()
    return client.post(f"/staff/transfers/new/need/{need.id}",
                       data={"department_id": str(department.id), "due_on": due, "note": note})


def _seq(referral_id):
    db.session.rollback()
    return db.session.get(Referral, referral_id).change_seq


def test_a_transferred_need_leaves_the_public_pool_and_the_source_sees_the_transfer(app, as_role, departments):
    need = make_need("published")
    staff = as_role(Role.STAFF)
    before = _seq(need.referral_id)
    assert app.test_client().get(f"/needs/{need.id}").status_code == 200
    page = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert f"/staff/transfers/new/need/{need.id}" in page

    response = _transfer(staff, need, departments["医保局"])
    assert response.status_code == 302
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == "draft" and need.transfer_open
    assert app.test_client().get(f"/needs/{need.id}").status_code == 404  # out of the public pool
    assert "一台电饭煲" not in app.test_client().get("/needs").get_data(as_text=True)
    assert _seq(need.referral_id) > before  # into the API's change feed
    transfer = db.session.scalars(sa.select(Transfer)).one()
    shown = status_object(db.session.get(Referral, need.referral_id))["needs"][0]["transfer"]
    assert shown == {"department": "医保局", "status": "requested", "due": transfer.due_on.isoformat(), "answer": None}
    # Held: staff cannot publish it again, nor transfer it twice, while the department has it.
    page = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert f'action="/staff/needs/{need.id}/publish"' not in page
    assert f"/staff/transfers/new/need/{need.id}" not in page
    assert _transfer(staff, need, departments["住建局"]).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 1
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"transfer.request", "need.transfer"} <= actions


def test_taken_over_the_need_ends_and_the_referral_ended_by_transfer(app, as_role, departments):
    need = make_need("published")
    staff = as_role(Role.STAFF)
    _transfer(staff, need, departments["残联"])
    transfer = db.session.scalars(sa.select(Transfer)).one()
    before = _seq(need.referral_id)
    response = staff.post(f"/staff/transfers/{transfer.id}/answer",
                          data={"outcome": "taken_over", "answer": "残联已安排适配轮椅，12月10日上门。"})
    assert response.status_code == 302
    db.session.rollback()
    need, transfer = db.session.get(Need, need.id), db.session.get(Transfer, transfer.id)
    assert need.status == "cancelled" and not need.transfer_open
    assert transfer.status == "answered" and transfer.outcome == "taken_over" and transfer.light is None
    referral = db.session.get(Referral, need.referral_id)
    assert referral.change_seq > before
    assert status_object(referral)["needs"][0]["transfer"]["answer"] == "残联已安排适配轮椅，12月10日上门。"
    assert status_object(referral)["needs"][0]["transfer"]["status"] == "answered"
    assert service.ended_by_transfer(referral)
    assert status_object(referral)["outcome"]["code"] == "transferred"  # what the source is told
    page = staff.get(f"/staff/transfers/{transfer.id}").get_data(as_text=True)
    assert "残联已安排适配轮椅" in page and f"/staff/transfers/{transfer.id}/answer" not in page
    # Answered once: a second answer is refused.
    again = staff.post(f"/staff/transfers/{transfer.id}/answer", data={"outcome": "returned", "answer": "x"})
    assert again.status_code == 400


def test_returned_the_need_is_a_draft_staff_may_publish_again(app, as_role, departments):
    need = make_need("published")
    staff = as_role(Role.STAFF)
    _transfer(staff, need, departments["教育局"])
    transfer = db.session.scalars(sa.select(Transfer)).one()
    staff.post(f"/staff/transfers/{transfer.id}/answer", data={"outcome": "returned", "answer": "不属于教育资助范围。"})
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == "draft" and not need.transfer_open
    assert not service.ended_by_transfer(db.session.get(Referral, need.referral_id))
    assert staff.post(f"/staff/needs/{need.id}/publish").status_code == 302
    db.session.rollback()
    assert db.session.get(Need, need.id).status == "published"


def test_an_unanswered_transfer_turns_overdue_red_and_region_staff_are_told(app, as_role, departments,
                                                                             moving_clock):
    need = make_need("published")
    staff = as_role(Role.STAFF)
    elsewhere = make_user(Role.STAFF, region="440106")
    _transfer(staff, need, departments["住建局"], days=3)
    transfer = db.session.scalars(sa.select(Transfer)).one()
    moving_clock.later(days=2)
    recompute(clock.now())
    db.session.commit()
    assert db.session.get(Transfer, transfer.id).light == "yellow"  # due within two days
    before = _seq(need.referral_id)
    moving_clock.later(days=2)
    assert service.mark_overdue(clock.now()) == 1
    db.session.commit()
    assert service.mark_overdue(clock.now()) == 0  # once
    transfer = db.session.get(Transfer, transfer.id)
    assert transfer.status == "overdue" and transfer.light == "red"
    assert _seq(need.referral_id) > before
    assert status_object(db.session.get(Referral, need.referral_id))["needs"][0]["transfer"]["status"] == "overdue"
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "transfers_overdue")).all()
    assert told == [staff.user.id] and elsewhere.id not in told
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "transfer.overdue")) == 1
    queue = staff.get("/staff/").get_data(as_text=True)
    assert 'id="transfers"' in queue and "住建局" in queue
    listed = staff.get("/staff/transfers/?status=overdue").get_data(as_text=True)
    assert f"/staff/transfers/{transfer.id}" in listed
    dashboard = staff.get("/staff/dashboard/").get_data(as_text=True)
    assert "/staff/transfers/?status=overdue" in dashboard
    # An overdue transfer can still be answered.
    assert staff.post(f"/staff/transfers/{transfer.id}/answer",
                      data={"outcome": "taken_over", "answer": "已纳入危房改造计划。"}).status_code == 302


def test_a_referral_waiting_for_triage_is_transferred_whole(app, as_role, departments):
    received = intake.receive("test-source", referral_payload(), actor=make_user(Role.ADMIN))
    db.session.commit()
    staff = as_role(Role.STAFF)
    page = staff.get(f"/staff/referrals/{received.referral.id}").get_data(as_text=True)
    assert f"/staff/transfers/new/referral/{received.referral.id}" in page
    due = (clock.today() + timedelta(days=5)).isoformat()
    response = staff.post(f"/staff/transfers/new/referral/{received.referral.id}",
                          data={"department_id": str(departments["人社局"].id), "due_on": due,
                                "note": "就业困难人员认定。"})
    assert response.status_code == 302
    transfer = db.session.scalars(sa.select(Transfer)).one()
    staff.post(f"/staff/transfers/{transfer.id}/answer", data={"outcome": "taken_over", "answer": "已认定。"})
    db.session.rollback()
    referral = db.session.get(Referral, received.referral.id)
    assert referral.status == "declined" and "人社局" in referral.decline_reason
    assert service.ended_by_transfer(referral)
    assert status_object(referral)["outcome"] == {"code": "transferred", "reason": None,
                                                  "at": status_object(referral)["outcome"]["at"]}


def test_staff_of_another_region_cannot_transfer_or_answer(app, as_role, departments):
    need = make_need("published")
    _transfer(as_role(Role.STAFF), need, departments["卫健局"])
    transfer = db.session.scalars(sa.select(Transfer)).one()
    other = as_role(Role.STAFF, region="440106")
    assert other.get(f"/staff/transfers/{transfer.id}").status_code == 403
    assert other.post(f"/staff/transfers/{transfer.id}/answer",
                      data={"outcome": "returned", "answer": "x"}).status_code == 403
    assert other.get(f"/staff/transfers/new/need/{need.id}").status_code == 403
    assert f"/staff/transfers/{transfer.id}" not in other.get("/staff/transfers/").get_data(as_text=True)


def test_the_list_filters_sorts_and_exports(app, as_role, departments):
    staff = as_role(Role.STAFF)
    first, second = make_need("published"), make_need("draft")
    _transfer(staff, first, departments["医保局"], days=20)
    _transfer(staff, second, departments["教育局"], days=5)
    page = staff.get("/staff/transfers/").get_data(as_text=True).split("<tbody>")[1]
    assert page.index("教育局") < page.index("医保局")  # soonest due first
    only = staff.get(f"/staff/transfers/?department={departments['医保局'].id}").get_data(as_text=True)
    only = only.split("<tbody>")[1]
    assert "医保局" in only and "教育局" not in only
    csv = staff.get("/staff/transfers/export.csv?sort=-due").get_data(as_text=True)
    lines = csv.strip().splitlines()
    assert len(lines) == 3 and "医保局" in lines[1] and "教育局" in lines[2]


def test_admins_manage_departments_with_contacts(app, as_role):
    admin = as_role(Role.ADMIN)
    response = admin.post("/admin/departments/new", data={
        "name": "退役军人事务局", "remit": "优抚", "contact_name": "王科长", "contact_phone": "020-83000000",
        "contact_email": "wang@example.cn", "is_active": "y"})
    assert response.status_code == 302
    listed = admin.get("/admin/departments/").get_data(as_text=True)
    assert "退役军人事务局" in listed and "王科长" in listed
    assert admin.post("/admin/departments/new", data={"name": "退役军人事务局"}).status_code == 400  # unique
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "department.create")) == 1
    assert as_role(Role.STAFF).get("/admin/departments/").status_code == 403


def test_concurrent_transfers_of_one_need_make_one(app, departments):
    need = make_need("published")
    clients = []
    for _ in range(8):
        client = app.test_client()
        sign_in(client, make_user(Role.STAFF))
        clients.append(client)
    start = threading.Barrier(len(clients))
    need_id, department_ids = need.id, [d.id for d in departments.values()]
    due = (clock.today() + timedelta(days=10)).isoformat()

    def go(args):
        n, client = args
        start.wait()
        return client.post(f"/staff/transfers/new/need/{need_id}", data={
            "department_id": str(department_ids[n % len(department_ids)]), "due_on": due,
            "note": "请核实。"}).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(go, enumerate(clients)))
    assert sorted(codes) == [302] + [400] * (len(clients) - 1)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "need.transfer")) == 1


def test_a_need_an_organisation_holds_a_part_of_is_not_transferred(app, as_role, departments):
    from marketplace.needs import transitions
    from tests.conftest import make_org
    from tests.parts.conftest import big_need, soon

    need = big_need(120)
    transitions.claim(need, actor=make_org().members[0], promised_by=soon(), quantity=40)
    db.session.commit()
    staff = as_role(Role.STAFF)
    assert f"/staff/transfers/new/need/{need.id}" not in staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    _transfer(staff, need, departments["残联"])
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == "published" and not need.transfer_open and need.claimed_quantity == 40
    assert db.session.scalars(sa.select(Transfer)).all() == []
