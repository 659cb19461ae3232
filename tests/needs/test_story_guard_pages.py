"""The story guard on every path that writes a text organisations or the public read.

Triage and publish (the draft form), publishing or re-planning an old draft, staff rewriting a need,
the renovation need and its project, the project's plan lines and the rejection reason the claimer
reads. A refusal is shown beside the field it is about and nothing is written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.models import Referral, ReferralStatus
from marketplace.needs import transitions
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.privacy import PrivacyError
from marketplace.projects import service as projects
from marketplace.projects.models import PlanLine, Project
from tests.conftest import make_need, make_user, referral_payload
from tests.projects.support import make_project

# The outsider's household, and the story that was accepted for it.
JIAN = {"head_name": "简国华", "address": "越秀区东风东路733号之二", "phone": "13926081357",
        "id_number": "44010419620315771X"}
LEAKING = "简伯伯，64岁，住东风东路733号，屋顶漏水，下雨天要用盆接水。"
CLEAN = "简伯伯，64岁，独居在越秀区北京街道，屋顶漏水，下雨天要用盆接水。"


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _referral(**need: object) -> Referral:
    payload = referral_payload(household=JIAN, **need)
    referral = intake.receive("test-source", payload, actor=make_user(Role.ADMIN)).referral
    db.session.commit()
    return referral


def _triage_form(**fields: str) -> dict[str, str]:
    today = today_shanghai()
    return {"kind": "wish", "category": "daily_living", "title": "修补屋顶的防水材料", "quantity": "1",
            "value_yuan": "300", "claim_deadline": today.isoformat(),
            "fulfil_by": (today + timedelta(days=10)).isoformat(), "publish_now": "y", "story": CLEAN, **fields}


def _leak_in_old_text(model: type, row_id: int, **values: str) -> None:
    """A text written before the guard was this strict (the guard is bypassed on purpose)."""
    db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_staff_publishing_a_draft_with_a_leaking_story_get_a_field_error_and_nothing_is_published(as_role):
    referral = _referral()
    staff = as_role(Role.STAFF, region="440104")
    response = staff.post(f"/staff/referrals/{referral.id}/triage", data=_triage_form(story=LEAKING))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="story-error"' in page
    assert "「东风东路733号」" in page  # the refusal quotes what to take out
    assert _count(Need) == 0
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.RECEIVED
    ok = staff.post(f"/staff/referrals/{referral.id}/triage", data=_triage_form())
    assert ok.status_code == 302 and db.session.scalar(sa.select(Need.status)) == NeedStatus.PUBLISHED


def test_a_leak_in_the_title_is_shown_beside_the_title(as_role):
    referral = _referral()
    staff = as_role(Role.STAFF, region="440104")
    form = _triage_form(title="国华伯伯的屋顶")
    page = staff.post(f"/staff/referrals/{referral.id}/triage", data=form).get_data(as_text=True)
    assert 'id="title-error"' in page and 'id="story-error"' not in page and "「国华」" in page
    assert _count(Need) == 0


def test_an_old_draft_that_leaks_is_not_published_by_the_button(as_role):
    need = make_need("draft", household=JIAN)
    _leak_in_old_text(Need, need.id, story=LEAKING)
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post(f"/staff/needs/{need.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in page and "「东风东路733号」" in page
    db.session.refresh(need)
    assert need.status == NeedStatus.DRAFT and need.published_at is None


def test_an_expired_need_that_leaks_is_not_published_again(app):
    need = make_need("published", household=JIAN)
    transitions.expire_overdue(need.claim_deadline + timedelta(days=1))
    _leak_in_old_text(Need, need.id, story=LEAKING)
    today = today_shanghai()
    with pytest.raises(PrivacyError):
        transitions.replan(need, actor=make_user(Role.ADMIN), claim_deadline=today + timedelta(days=5),
                           fulfil_by=today + timedelta(days=20))
    db.session.rollback()
    assert db.session.get(Need, need.id).status == NeedStatus.EXPIRED


def test_staff_rewrite_a_published_story_and_the_guard_checks_the_new_one(as_role, client):
    need = make_need("published", household=JIAN)
    _leak_in_old_text(Need, need.id, story=LEAKING)
    staff = as_role(Role.STAFF, region="440104")
    assert f'action="/staff/needs/{need.id}/text"' in staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    refused = staff.post(f"/staff/needs/{need.id}/text",
                         data={"title": need.title, "story": "简伯伯住东风东路七三三号，屋顶漏水。"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="story-error"' in page and "「东风东路七三三号」" in page
    db.session.refresh(need)
    assert need.story == LEAKING
    fixed = staff.post(f"/staff/needs/{need.id}/text", data={"title": need.title, "story": CLEAN})
    assert fixed.status_code == 302
    assert CLEAN in client.get(f"/needs/{need.id}").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "need.rewrite"))
    assert event.after == {"title_rewritten": False, "story_rewritten": True}  # never the leaking words
    assert "东风东路" not in str(event.before) + str(event.after)


def test_the_renovation_need_shows_a_leak_beside_the_story_and_starts_nothing(as_role):
    referral = _referral(kind="renovation", category="housing")
    staff = as_role(Role.STAFF, region="440104")
    response = staff.post(f"/staff/projects/new/{referral.id}", data={
        "title": "屋顶防水", "story": "简伯伯家住东风东路７３３号，屋顶漏水。",
        "surveyed_on": today_shanghai().isoformat(), "survey_notes": "屋顶三处漏水"})
    page = response.get_data(as_text=True)
    assert 'id="story-error"' in page and "「东风东路７３３号」" in page
    assert _count(Project) == 0 and _count(Need) == 0


def test_a_project_from_an_old_leaking_draft_is_refused(app):
    staff = make_user(Role.ADMIN)
    referral = _referral(kind="renovation", category="housing")
    need = projects.renovation_need(referral, actor=staff, title="屋顶防水", story=CLEAN)
    db.session.commit()
    _leak_in_old_text(Need, need.id, story=LEAKING)
    with pytest.raises(PrivacyError):
        projects.create(need, actor=staff, survey_notes="漏水", surveyed_on=today_shanghai())


def test_staff_rewrite_a_projects_public_text_and_the_guard_checks_it(as_role, client):
    project = make_project("plan_approved")
    staff = as_role(Role.STAFF, region="440104")
    refused = staff.post(f"/staff/projects/{project.id}/text",
                         data={"title": "桂芳阿姨的屋顶", "story": "W伯，屋顶漏雨。"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="title-error"' in page and "「桂芳」" in page
    fixed = staff.post(f"/staff/projects/{project.id}/text",
                       data={"title": "屋顶防水", "story": "L阿姨，72岁，屋顶漏雨。"})
    assert fixed.status_code == 302
    db.session.refresh(project)
    assert (project.title, project.need.title) == ("屋顶防水", "屋顶防水")
    assert "L阿姨，72岁，屋顶漏雨。" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "project.rewrite"))
    assert event.after == {"title_rewritten": True, "story_rewritten": True}


def test_a_plan_line_on_the_public_project_page_is_guarded(as_role):
    project = make_project("surveyed", lines=())
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post(f"/staff/projects/{project.id}/line", data={
        "kind": "materials", "description": "瓦片，送到北京路88号", "amount": "900"}, follow_redirects=True)
    assert "flash-error" in page.get_data(as_text=True) and "「北京路88号」" in page.get_data(as_text=True)
    assert _count(PlanLine) == 0


def test_the_rejection_reason_the_claimer_reads_is_guarded(as_role):
    need = make_need("delivered")
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post(f"/staff/needs/{need.id}/reject", data={"reason": "请当面交给李桂芳本人"},
                      follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in page and "「李桂芳」" in page
    db.session.refresh(need)
    assert need.status == NeedStatus.DELIVERED and need.last_reason == ""


def test_a_photo_caption_for_the_public_page_is_guarded(as_role):
    from marketplace.projects.models import PhotoVisibility, ProjectPhoto

    project = make_project("plan_approved", photos=1)
    photo = project.photos[0]
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post(f"/staff/projects/photos/{photo.id}/publish", data={"caption": "改造前：北京路八十八号的屋顶"},
                      follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in page and "「北京路八十八号」" in page
    db.session.expire_all()
    assert db.session.get(ProjectPhoto, photo.id).visibility == PhotoVisibility.PRIVATE
