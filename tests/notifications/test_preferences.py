"""Each reader chooses per kind: immediately (inbox and email now), daily digest (inbox now, one
email a day), or off (no notice at all); the page offers only the kinds meant for their role."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest

from marketplace.accounts.models import Role
from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from marketplace.needs import transitions
from marketplace.notifications import mail
from marketplace.notifications import service as notices
from marketplace.notifications.models import Delivery
from marketplace.scheduler import jobs
from tests.accounts.password_support import body, mailbox
from tests.conftest import make_need, make_org, make_user, sign_in
from tests.notifications.support import notices as notices_of
from tests.notifications.support import recipients

NOON = datetime.now(SHANGHAI).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def noon(app):
    """The app's clock at noon today in Guangzhou, so the digest's 08:00 cutoff is not a coin toss."""
    app.config["CLOCK"] = lambda: NOON
    yield NOON
    app.config.pop("CLOCK", None)


def subject(message) -> str:  # type: ignore[no-untyped-def]
    """A message's subject, decoded (Chinese subjects travel encoded)."""
    return str(make_header(decode_header(message["Subject"])))


def _choose(app, user, **choices):  # type: ignore[no-untyped-def]
    """Save choices through the settings page (the other kinds keep their current choice)."""
    client = app.test_client()
    sign_in(client, user)
    current = {code: value.value for code, value in notices.preferences(user).items()}
    response = client.post("/notifications/settings", data={**current, **choices})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    db.session.expire_all()
    return client


def test_the_settings_page_offers_the_kinds_of_the_readers_role_immediately_by_default(app, as_role):
    staff = as_role(Role.STAFF).get("/notifications/settings").get_data(as_text=True)
    assert "有送达等待我确认" in staff and "我辖区的需求变为红灯" in staff
    assert "我们的组织通过审核" not in staff and "餐食认捐" not in staff
    charity = as_role(Role.ORG_MEMBER).get("/notifications/settings").get_data(as_text=True)
    assert "我们的组织通过审核" in charity and "认领的需求两天内到期" in charity and "我们的改造认捐已确认" in charity
    assert "有送达等待我确认" not in charity and "餐食认捐" not in charity  # a charity pledges no meals
    company = as_role(Role.ORG_MEMBER, org=make_org(kind="company")).get("/notifications/settings")
    assert "我们的餐食认捐已获批准" in company.get_data(as_text=True)
    # Each offered kind: its default is checked until the reader chooses otherwise: "immediately",
    # but the daily list of new needs that fit (matching), which is a digest by nature.
    checked = re.findall(r'<input checked[^>]*value="(\w+)"', charity)
    assert sorted(checked) == sorted(["now"] * (charity.count("<fieldset") - 1) + ["digest"]) and len(checked) > 5
    outlet = as_role(Role.OUTLET_STAFF).get("/notifications/settings").get_data(as_text=True)
    assert "目前没有发给您这一角色的通知。" in outlet
    english = as_role(Role.STAFF)
    english.get("/lang/en")
    page = english.get("/notifications/settings").get_data(as_text=True)
    assert "A delivery awaits my confirmation" in page and "Daily digest (in the app now, one email a day)" in page


def test_a_kind_not_meant_for_the_reader_cannot_be_chosen(app):
    staff = make_user(Role.STAFF)
    with pytest.raises(notices.PreferenceError):
        notices.set_preferences(staff, {"meal_pledge_approved": "off"})
    with pytest.raises(notices.PreferenceError):
        notices.set_preferences(staff, {"delivery_awaiting": "sometimes"})
    db.session.rollback()


def test_off_makes_no_notice_for_that_reader_and_the_others_still_get_theirs(app):
    need = make_need("delivered")
    quiet, other = need.claimed_by.members[0], make_user(Role.ORG_MEMBER, org=need.claimed_by)
    _choose(app, quiet, delivery_confirmed="off")
    assert notices.preferences(quiet)["delivery_confirmed"] == Delivery.OFF
    transitions.confirm_by_caseworker(need, actor=make_user(Role.ADMIN), rating=5, feedback="")
    db.session.commit()
    assert recipients("delivery_confirmed", need.id) == {other.id}


def test_off_holds_for_the_set_based_red_light_notices_too(app):
    need = make_need("claimed")
    member = need.claimed_by.members[0]
    staff, quiet_staff = make_user(Role.STAFF, region="440104"), make_user(Role.STAFF, region="440104")
    _choose(app, member, need_red="off")
    _choose(app, quiet_staff, needs_red_digest="off")
    promised = need.promised_by
    recompute(datetime(promised.year, promised.month, promised.day, 12, tzinfo=SHANGHAI) + timedelta(days=2))
    db.session.commit()
    assert recipients("need_red") == set()
    assert recipients("needs_red_digest") == {staff.id}


def test_a_digest_reader_gets_no_email_at_once_and_one_email_a_day_listing_the_notices(app, noon):
    need = make_need("delivered")
    org = need.claimed_by
    digest_reader, instant_reader = org.members[0], make_user(Role.ORG_MEMBER, org=org)
    _choose(app, digest_reader, delivery_rejected="digest", delivery_confirmed="digest")
    staff = make_user(Role.STAFF, region="440104")
    transitions.reject(need, actor=staff, reason="照片看不清")
    transitions.deliver(need, actor=digest_reader)
    transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert [n.delivery for n in notices_of(digest_reader, "delivery_rejected")] == ["digest"]
    with mailbox(app) as box:
        mail.send_pending(noon)  # the minute job: every "immediately" notice, none of the digest's
        db.session.commit()
        assert len(box.to(instant_reader.email)) == 2  # rejected, confirmed (it joined after the approval)
        assert [subject(m) for m in box.to(digest_reader.email)] == [
            f"善联：您的组织“{org.name}”已通过审核，现在可以认领需求和认捐。"]
        assert mail.send_digests(noon + timedelta(hours=1)) == 0  # made after today's 08:00: tomorrow's
        digest_job = next(j for j in jobs.registry() if j.id == "digests")
        tomorrow = noon + timedelta(days=1) - timedelta(hours=3, minutes=30)  # 08:30
        assert jobs.run_tick(digest_job, tomorrow, "test").result == {"sent": 1}
        assert jobs.run_tick(digest_job, tomorrow + timedelta(hours=1), "test").result == {"sent": 0}
        assert mail.send_digests(tomorrow + timedelta(hours=5)) == 0
        digests = box.to(digest_reader.email)[1:]
        assert [subject(m) for m in digests] == ["善联：每日汇总（2条通知）"]
        text = body(digests[0])
        assert "“一台电饭煲”的送达未被接受：照片看不清" in text and "“一台电饭煲”的送达已确认。谢谢！" in text
        assert f"/needs/{need.id}" in text and "/notifications/settings" in text
        assert not box.to(instant_reader.email)[2:]  # an "immediately" reader gets no digest
    db.session.expire_all()
    assert all(n.emailed_at is not None for n in notices_of(digest_reader, "delivery_confirmed"))


def test_the_inbox_shows_digest_notices_at_once(app):
    need = make_need("delivered")
    member = need.claimed_by.members[0]
    client = _choose(app, member, delivery_rejected="digest")
    transitions.reject(need, actor=make_user(Role.STAFF), reason="照片看不清")
    db.session.commit()
    assert "“一台电饭煲”的送达未被接受：照片看不清" in client.get("/notifications/").get_data(as_text=True)
