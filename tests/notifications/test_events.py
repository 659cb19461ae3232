"""Every event someone waits on makes a notice for exactly the right readers, in their language,
linking to a page that opens for them; the due-soon reminder comes once per claim and date."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.meals import pledges as meal_pledges
from marketplace.needs import reminders, transitions
from marketplace.needs.models import Claim, Need
from marketplace.notifications.models import Notification
from marketplace.organisations import service as organisations
from marketplace.projects import service as projects
from marketplace.scheduler import jobs
from tests.conftest import make_need, make_org, make_user, sign_in, tiny_jpeg
from tests.meals.support import make_company, make_outlet
from tests.notifications.support import members, notices, recipients, words
from tests.projects.support import make_project


def _disable(user):  # type: ignore[no-untyped-def]
    user.is_enabled = False
    db.session.commit()
    return user


def test_an_organisations_review_tells_its_enabled_members_and_no_one_else(app):
    org = make_org(status="pending", name="阳光社工")
    second = make_user(Role.ORG_MEMBER, org=org)
    _disable(make_user(Role.ORG_MEMBER, org=org))
    bystander = make_org()  # approved, told of its own approval only
    admin = make_user(Role.ADMIN)
    organisations.review(org, actor=admin, approve=False, reason="材料不全")
    db.session.commit()
    assert recipients("org_rejected") == members(org) == {org.members[0].id, second.id}
    assert "您的组织“阳光社工”未通过审核：材料不全" in words(app, second)
    assert "Your organisation 阳光社工 was not approved: 材料不全" in words(app, second, "en")
    organisations.review(org, actor=admin, approve=True)
    db.session.commit()
    assert recipients("org_approved", org.id) == members(org)
    assert recipients("org_approved", bystander.id) == members(bystander)
    assert "您的组织“阳光社工”已通过审核" in words(app, org.members[0])
    assert "Your organisation 阳光社工 was approved" in words(app, org.members[0], "en")


def test_a_reassigned_claim_tells_the_previous_and_the_new_organisation(app):
    need = make_need("claimed")
    before, after, bystander = need.claimed_by, make_org(), make_org()
    promised = need.fulfil_by - timedelta(days=1)
    transitions.reassign(need, actor=make_user(Role.STAFF), organisation=after, promised_by=promised)
    db.session.commit()
    assert recipients("claim_reassigned", need.id) == members(before)
    assert recipients("claim_assigned", need.id) == members(after)
    assert not (recipients("claim_reassigned") | recipients("claim_assigned")) & members(bystander)
    assert "工作人员已将需求“一台电饭煲”转交给其他组织，您的认领已结束。" in words(app, before.members[0])
    assert "gave the need “一台电饭煲” to another organisation" in words(app, before.members[0], "en")
    zh = f"{promised.year}年{promised.month}月{promised.day}日"
    assert f"工作人员将需求“一台电饭煲”转交给您的组织，请于{zh}前送达。" in words(app, after.members[0])
    assert promised.strftime("%b") in words(app, after.members[0], "en")


def test_a_claim_released_by_staff_tells_the_organisation_why_and_its_own_release_tells_no_one(app, as_role):
    need = make_need("claimed")
    org = need.claimed_by
    staff = as_role(Role.STAFF, region="440104003")  # the need's street: through the staff page
    response = staff.post(f"/staff/needs/{need.id}/release", data={"reason": "联系不上"})
    assert response.status_code == 302
    db.session.expire_all()
    assert recipients("claim_released", need.id) == members(org)
    assert "工作人员释放了您的组织对“一台电饭煲”的认领：联系不上" in words(app, org.members[0])
    assert "Staff released your organisation's claim on “一台电饭煲”: 联系不上" in words(app, org.members[0], "en")
    own = make_need("claimed")
    transitions.release(own, actor=own.claimed_by.members[0], reason="")
    db.session.commit()
    assert recipients("claim_released", own.id) == set()


def test_a_delivery_tells_the_staff_of_its_district_and_street_only(app):
    district, street = make_user(Role.STAFF, region="440104"), make_user(Role.STAFF, region="440104003")
    other_street, other_district = make_user(Role.STAFF, region="440104001"), make_user(Role.STAFF, region="440106")
    _disable(make_user(Role.STAFF, region="440104"))
    make_user(Role.ADMIN)
    need = make_need("delivered", org=make_org(name="邻里互助会"))
    assert recipients("delivery_awaiting", need.id) == {district.id, street.id}
    assert not recipients("delivery_awaiting") & {other_street.id, other_district.id}
    assert "邻里互助会已将“一台电饭煲”标记为已送达，等待您确认。" in words(app, street)
    assert "邻里互助会 marked “一台电饭煲” delivered: it awaits your confirmation." in words(app, district, "en")


def test_a_confirmed_or_rejected_delivery_tells_the_claiming_organisation(app):
    need = make_need("delivered")
    org, bystander = need.claimed_by, make_org()
    staff = make_user(Role.STAFF, region="440104")
    transitions.reject(need, actor=staff, reason="照片看不清")
    db.session.commit()
    assert recipients("delivery_rejected", need.id) == members(org)
    assert "“一台电饭煲”的送达未被接受：照片看不清" in words(app, org.members[0])
    assert "The delivery of “一台电饭煲” was not accepted: 照片看不清" in words(app, org.members[0], "en")
    transitions.deliver(need, actor=org.members[0])
    transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert recipients("delivery_confirmed", need.id) == members(org)
    assert "“一台电饭煲”的送达已确认。谢谢！" in words(app, org.members[0])
    by_code = make_need("delivered", org=org)
    code = transitions.issue_recipient_code(by_code, actor=staff)
    transitions.confirm_by_recipient(code, rating=4, feedback="")  # the recipient's own confirmation
    db.session.commit()
    assert recipients("delivery_confirmed", by_code.id) == members(org)
    assert not recipients("delivery_confirmed") & members(bystander)
    assert "The delivery of “一台电饭煲” was confirmed. Thank you!" in words(app, org.members[0], "en")


def test_a_meal_pledge_decision_tells_the_company(app):
    outlet = make_outlet(make_company(), name="粤味餐厅")
    company, bystander = outlet.organisation, make_company()
    make_user(Role.OUTLET_STAFF, org=company)  # redeems meals; not told of pledges
    member, today = company.members[0], datetime.now(SHANGHAI).date()
    first = meal_pledges.create_pledge(outlet, actor=member, meals_per_day=20, starts_on=today,
                                       ends_on=today + timedelta(days=6), weekdays=127, today=today)
    second = meal_pledges.create_pledge(outlet, actor=member, meals_per_day=5, starts_on=today,
                                        ends_on=today + timedelta(days=6), weekdays=127, today=today)
    staff = make_user(Role.STAFF, region="440104")
    meal_pledges.review_pledge(first, actor=staff, approve=True, now=datetime.now(SHANGHAI))
    meal_pledges.review_pledge(second, actor=staff, approve=False, reason="本月名额已满", now=datetime.now(SHANGHAI))
    db.session.commit()
    assert recipients("meal_pledge_approved", first.id) == members(company)
    assert recipients("meal_pledge_rejected", second.id) == members(company)
    assert not (recipients("meal_pledge_approved") | recipients("meal_pledge_rejected")) & members(bystander)
    zh = words(app, member)
    assert "每天20份餐" in zh and "您在粤味餐厅的餐食认捐未获批准：本月名额已满" in zh
    en = words(app, member, "en")
    assert "Your pledge of 20 meals a day at 粤味餐厅" in en and "was not approved: 本月名额已满" in en


def test_a_confirmed_renovation_pledge_tells_its_organisation(app):
    project = make_project("plan_approved")
    pledger, other = make_org(name="安居基金会"), make_org()
    items = []
    for org, line in ((pledger, project.lines[0]), (other, project.lines[1])):
        item = projects.pledge(project, line, actor=org.members[0], kind="money", value_fen=line.amount_fen)
        projects.deliver_pledge(item, actor=org.members[0])
        items.append(item)
    projects.confirm_pledge(items[0], actor=make_user(Role.ADMIN))  # only the first is confirmed
    db.session.commit()
    assert recipients("project_pledge_confirmed", project.id) == members(pledger)
    assert f"改造项目“{project.title}”的认捐，现已计入榜单" in words(app, pledger.members[0])
    assert f"your pledge to the renovation “{project.title}”" in words(app, pledger.members[0], "en")


def _due_in(need, days: int) -> datetime:  # type: ignore[no-untyped-def]
    """A moment (noon in Guangzhou) `days` days before the need's promised date."""
    day = need.promised_by - timedelta(days=days)
    return datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def test_a_claim_due_in_two_days_is_reminded_once_by_the_scheduler(app):
    need = make_need("claimed")
    org, bystander = need.claimed_by, make_org()
    later = make_need("claimed", org=bystander)  # promised the same day, but delivered already
    transitions.add_evidence(later, actor=bystander.members[0], kind="photo", stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(later, actor=bystander.members[0])
    db.session.commit()
    job = next(j for j in jobs.registry() if j.id == "due_soon")
    assert jobs.run_tick(job, _due_in(need, 3), "test").result == {"claims": 0, "notified": 0}  # not yet
    first = jobs.run_tick(job, _due_in(need, 2), "test")
    assert first.result == {"claims": 1, "notified": 1}
    # The next hour's tick, the next day's, and the same function run again: nothing more.
    assert jobs.run_tick(job, _due_in(need, 2) + timedelta(hours=1), "test").result["claims"] == 0
    assert jobs.run_tick(job, _due_in(need, 1), "test").result["claims"] == 0
    assert reminders.remind_due_soon(_due_in(need, 2))["claims"] == 0
    db.session.commit()
    assert recipients("claim_due_soon") == members(org)
    assert [n.object_id for n in notices(org.members[0], "claim_due_soon")] == [need.id]
    day = need.promised_by
    assert f"您的组织认领的需求“一台电饭煲”将于{day.year}年{day.month}月{day.day}日到期。" in words(app, org.members[0])
    assert "The need “一台电饭煲” your organisation claimed is due on" in words(app, org.members[0], "en")


def test_a_claim_made_within_the_two_days_is_not_reminded(app):
    need = make_need("claimed")
    made = db.session.scalar(sa.select(Claim).where(Claim.need_id == need.id))
    # Claimed at noon of the day before the promise (as if the promise were a day ahead).
    db.session.execute(sa.update(Claim).where(Claim.id == made.id).values(created_at=_due_in(need, 1)))
    db.session.commit()
    assert reminders.remind_due_soon(_due_in(need, 1) + timedelta(hours=2))["claims"] == 0
    assert reminders.remind_due_soon(_due_in(need, 0))["claims"] == 1  # the next day: reminded, once


def test_a_reassigned_claim_is_reminded_for_its_own_date(app):
    need = make_need("claimed")
    first_org = need.claimed_by
    assert reminders.remind_due_soon(_due_in(need, 2))["claims"] == 1
    new_org = make_org()
    transitions.reassign(db.session.get(Need, need.id), actor=make_user(Role.ADMIN), organisation=new_org,
                         promised_by=need.fulfil_by)
    db.session.commit()
    assert reminders.remind_due_soon(_due_in(db.session.get(Need, need.id), 2))["claims"] == 1
    assert recipients("claim_due_soon") == members(first_org) | members(new_org)


def test_the_inbox_lists_every_notice_with_its_link_and_the_bell_counts_them(app):
    need = make_need("delivered")
    staff = make_user(Role.STAFF, region="440104")
    transitions.reject(need, actor=staff, reason="照片看不清")
    db.session.commit()
    member = need.claimed_by.members[0]
    client = app.test_client()
    sign_in(client, member)
    page = client.get("/notifications/").get_data(as_text=True)
    count = db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == member.id))
    assert count == 2  # approved, then the rejected delivery
    assert f'class="count">{count}<' in page and f'href="/needs/{need.id}"' in page and 'href="/org/"' in page
    assert 'href="/notifications/settings"' in page
