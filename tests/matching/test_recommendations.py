"""为您推荐: the organisation's home lists the open needs that fit it, best first, with reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.matching import fit, recommend
from marketplace.matching.models import NeedDismissal
from marketplace.notifications.models import Notification
from marketplace.organisations.models import Organisation
from tests.conftest import sign_in
from tests.matching.conftest import BEIJING_STREET, TIANHE, YUEXIU, placed_need, profiled_org


def _home(org: Organisation, app) -> str:  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, org.members[0])
    return client, client.get("/org/").get_data(as_text=True)


def test_the_member_states_the_profile_and_staff_see_it(app, as_role):
    org = profiled_org(categories=["daily_living"], regions=[YUEXIU])
    client = app.test_client()
    sign_in(client, org.members[0])
    page = client.get("/org/capability").get_data(as_text=True)
    assert "Open claims at once" in page or "同时" in page
    response = client.post("/org/capability", data={
        "categories": ["rehab_nursing", "medical"], "regions": [BEIJING_STREET], "capacity_open": "3",
        "capacity_month": "10", "value_min": "100", "value_max": "2000", "response_hours": "24"})
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organisation, org.id)
    assert sorted(org.categories) == ["medical", "rehab_nursing"] and [r.code for r in org.regions] == [BEIJING_STREET]
    assert (org.capacity_open, org.capacity_month, org.value_min_fen, org.value_max_fen, org.response_hours) == \
        (3, 10, 10000, 200000, 24)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "organisation.capability")
                              .order_by(AuditEvent.id.desc()))
    assert event.after["capacity_open"] == 3
    staff = as_role(Role.ADMIN)
    review = staff.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    assert "¥2,000.00" in review or "2,000" in review


def test_an_upside_down_value_range_is_refused_and_nothing_changes(app):
    org = profiled_org(categories=["daily_living"], regions=[YUEXIU], value_min_fen=100)
    client = app.test_client()
    sign_in(client, org.members[0])
    response = client.post("/org/capability", data={"categories": ["medical"], "regions": [YUEXIU],
                                                     "value_min": "500", "value_max": "10"})
    assert response.status_code == 200
    assert "has-error" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).categories == ["daily_living"]


# one category: a read per category; seven: one read per place over all of them (recommend.FEW_CATEGORIES)
@pytest.mark.parametrize("categories", [
    ["rehab_nursing"],
    ["rehab_nursing", "medical", "visit", "meals", "cleaning", "mobility", "counselling"],
], ids=["one category", "many categories"])
def test_needs_rank_by_category_then_place_then_waiting_with_reasons(app, categories):
    assert (len(categories) > recommend.FEW_CATEGORIES) == (len(categories) == 7)
    org = profiled_org(categories=categories, regions=[BEIJING_STREET])
    street = placed_need(category="rehab_nursing", waited_days=9, title="康复护理上门")
    district = placed_need(category="rehab_nursing", street=None, waited_days=9, title="同区康复")
    city = placed_need(category="rehab_nursing", street=None, district=TIANHE, waited_days=9, title="天河康复")
    other = placed_need(category="education", waited_days=20, title="学习用品")
    ranked = recommend.for_organisation(org, clock.now())
    ids = [r.need.id for r in ranked]
    assert ids[:3] == [street.id, district.id, city.id]
    assert other.id not in ids  # outside what it provides: not a candidate at all
    first = ranked[0]
    assert first.score == fit.CATEGORY + fit.STREET + 10 + fit.VALUE + fit.ROOM
    assert len(first.reasons) == 3  # category, same street, waited


def test_home_shows_reasons_in_chinese_and_english_and_not_for_us_dismisses(app):
    org = profiled_org(categories=["rehab_nursing"], regions=[BEIJING_STREET])
    need = placed_need(category="rehab_nursing", waited_days=9, title="康复护理上门")
    client, page = _home(org, app)
    assert "康复护理上门" in page and "为您推荐" in page
    assert "同街道" in page and "已等待9天" in page
    client.get("/lang/en")
    english = client.get("/org/").get_data(as_text=True)
    assert "Recommended for you" in english and "same street" in english and "waiting 9 days" in english
    client.get("/lang/zh_Hans")
    response = client.post(f"/org/recommendations/{need.id}/dismiss", follow_redirects=True)
    assert response.status_code == 200
    assert db.session.get(NeedDismissal, (org.id, need.id)) is not None
    _client, after = _home(org, app)
    assert "康复护理上门" not in after
    # Remembered: a second dismissal changes nothing, and the list stays without it.
    client.post(f"/org/recommendations/{need.id}/dismiss")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedDismissal)) == 1


def test_a_full_organisation_scores_lower_and_claimed_or_expired_needs_are_not_recommended(app):
    org = profiled_org(categories=["daily_living"], regions=[YUEXIU], capacity_open=0)
    need = placed_need()
    (only,) = [r for r in recommend.for_organisation(org, clock.now()) if r.need.id == need.id]
    assert only.score < fit.CATEGORY + fit.STREET  # FULL outweighs the street match
    need.claim_deadline = clock.today() - timedelta(days=1)
    db.session.commit()
    assert need.id not in [r.need.id for r in recommend.for_organisation(org, clock.now())]


def test_the_daily_digest_notices_new_fitting_needs_only(app):
    org = profiled_org(categories=["rehab_nursing"], regions=[BEIJING_STREET])
    placed_need(category="rehab_nursing", title="新的康复需求")
    placed_need(category="rehab_nursing", waited_days=3, title="旧的康复需求")
    placed_need(category="education", street=None, district=TIANHE, title="不相关")
    result = recommend.send_digest(clock.now())
    db.session.commit()
    assert result["organisations"] == 1
    note = db.session.scalar(sa.select(Notification).where(Notification.kind == "needs_recommended"))
    assert note.user_id == org.members[0].id and note.delivery == "digest"
    assert note.params["count"] == 1 and note.params["titles"] == "新的康复需求"
