"""定向派单: staff route a need to one organisation, which accepts (its claim) or declines; offers expire."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.matching import offers, recommend
from marketplace.matching.models import Offer
from marketplace.needs.models import Claim, Need
from marketplace.notifications.models import Notification
from marketplace.settings import service as settings
from marketplace.staff.queue import work_queue
from tests.api.support import api_for
from tests.conftest import make_org, make_user, sign_in
from tests.matching.conftest import BEIJING_STREET, placed_need, profiled_org


def _staff_client(app, staff=None):  # type: ignore[no-untyped-def]
    staff = staff or make_user(Role.STAFF, region="440104")
    client = app.test_client()
    sign_in(client, staff)
    return client, staff


def _member_client(app, org):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, org.members[0])
    return client


def _offers() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Offer)) or 0


def _flash(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_staff_route_from_the_suggestions_and_the_organisation_accepts_it_as_its_claim(app):
    org = profiled_org(categories=["rehab_nursing"], regions=[BEIJING_STREET], name="康复之家")
    make_org(name="别的组织")
    need = placed_need(category="rehab_nursing", title="康复护理上门")
    staff, staff_user = _staff_client(app)
    page = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert "推荐的组织" in page and page.index("康复之家") < page.index("别的组织")
    response = staff.post(f"/staff/needs/{need.id}/offers", data={"organisation_id": org.id}, follow_redirects=True)
    assert "已派单给 康复之家" in response.get_data(as_text=True)
    offer = db.session.scalar(sa.select(Offer))
    assert offer.status == "requested" and offer.due_at - offer.created_at == timedelta(days=2)
    routed = db.session.scalar(sa.select(Notification).where(Notification.kind == "offer_routed"))
    assert routed.user_id == org.members[0].id and routed.object_id == offer.id

    member = _member_client(app, org)
    home = member.get("/org/").get_data(as_text=True)
    assert "派给您的需求" in home and f"/org/offers/{offer.id}" in home
    # Routed to one organisation: it is not among anyone's recommendations meanwhile.
    assert need.id not in [r.need.id for r in recommend.for_organisation(org, clock.now())]
    assert "接受派单" in member.get(f"/org/offers/{offer.id}").get_data(as_text=True)
    promised = (clock.today() + timedelta(days=5)).isoformat()
    response = member.post(f"/org/offers/{offer.id}/accept", data={"promised_by": promised})
    assert response.status_code == 302
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.status == "claimed" and need.claimed_by_id == org.id
    assert db.session.get(Offer, offer.id).status == "accepted"
    history = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert "将需求定向派单给组织" in history and "接受了该需求的派单" in history and "认领了需求" in history


def test_decline_needs_a_reason_and_other_needs_words_then_staff_hear_of_it(app):
    org = profiled_org(categories=["daily_living"], regions=["440104"])
    need = placed_need()
    staff_user = make_user(Role.STAFF, region="440104")
    offer = offers.route(need, organisation=org, actor=staff_user)
    db.session.commit()
    member = _member_client(app, org)
    response = member.post(f"/org/offers/{offer.id}/decline", data={"reason": "other", "text": ""})
    assert response.status_code == 200 and "请说明拒绝的原因" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "requested"
    member.post(f"/org/offers/{offer.id}/decline", data={"reason": "outside_area", "text": ""})
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.status == "rejected" and offer.reason == "outside_area"
    assert db.session.get(Need, need.id).status == "published"  # back in the pool
    note = db.session.scalar(sa.select(Notification).where(Notification.kind == "offer_declined"))
    assert note.user_id == staff_user.id


@pytest.mark.parametrize("case", ["unapproved", "full", "dismissed", "claimed", "waiting"])
def test_routing_that_cannot_be_done_says_why_and_changes_nothing(app, case):
    org = profiled_org(categories=["daily_living"], regions=["440104"], name="目标组织")
    need = placed_need()
    staff, _user = _staff_client(app)
    expected = {"unapproved": "只有已通过审核的组织才能接收派单", "full": "目标组织 已满负荷",
                "dismissed": "目标组织 已表示该需求不适合他们", "claimed": "只有已发布且无人认领的需求才能派单",
                "waiting": "该需求正在等待"}[case]
    if case == "unapproved":
        org = make_org(status="pending", name="待审组织")
    elif case == "full":
        org.capacity_open = 0
    elif case == "dismissed":
        recommend.dismiss(need, actor=org.members[0])
    elif case == "claimed":
        from marketplace.needs import transitions

        other = make_org()
        transitions.claim(need, actor=other.members[0], promised_by=clock.today() + timedelta(days=3))
    elif case == "waiting":
        offers.route(need, organisation=make_org(), actor=make_user(Role.ADMIN))
    db.session.commit()
    before = _offers()
    response = staff.post(f"/staff/needs/{need.id}/offers", data={"organisation_id": org.id}, follow_redirects=True)
    assert response.status_code == 200 and expected in response.get_data(as_text=True)
    db.session.rollback()
    assert _offers() == before


@pytest.mark.parametrize("ended", ["expired", "cancelled"])
def test_an_expired_or_cancelled_offer_cannot_be_answered(app, ended):
    org = profiled_org(categories=["daily_living"], regions=["440104"])
    need = placed_need()
    staff = make_user(Role.STAFF, region="440104")
    offer = offers.route(need, organisation=org, actor=staff)
    db.session.commit()
    if ended == "expired":
        app.config["CLOCK"] = lambda: clock.system_now() + timedelta(days=3)
    else:
        offers.cancel(offer, actor=staff)
        db.session.commit()
    try:
        member = _member_client(app, org)
        page = member.get(f"/org/offers/{offer.id}").get_data(as_text=True)
        assert "接受派单" not in page
        promised = (clock.today() + timedelta(days=3)).isoformat()
        response = member.post(f"/org/offers/{offer.id}/accept", data={"promised_by": promised},
                               follow_redirects=True)
        words = {"expired": "该派单已过期", "cancelled": "工作人员已撤回该派单"}[ended]
        assert words in response.get_data(as_text=True)
        response = member.post(f"/org/offers/{offer.id}/decline", data={"reason": "no_capacity"},
                               follow_redirects=True)
        assert words in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Need, need.id).status == "published"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
    finally:
        app.config.pop("CLOCK", None)


def test_unanswered_offers_light_up_reach_the_queue_then_expire_back_to_the_pool(app):
    org = profiled_org(categories=["daily_living"], regions=["440104"])
    need = placed_need()
    staff = make_user(Role.STAFF, region="440104")
    start = clock.now()
    offer = offers.route(need, organisation=org, actor=staff, now=start)
    db.session.commit()
    assert offers.light(offer, start) == "green"
    assert offers.light(offer, start + timedelta(hours=settings.get("offer_yellow_hours"))) == "yellow"
    assert offers.light(offer, start + timedelta(hours=settings.get("offer_red_hours"))) == "red"

    app.config["CLOCK"] = lambda: start + timedelta(hours=30)
    try:
        with app.test_request_context():
            (section,) = [s for s in work_queue(staff) if s.key == "offers"]
            assert section.count == 1 and need.title in section.items[0].label
            assert section.more_href == "/staff/offers/unanswered"
        client, _ = _staff_client(app, staff)
        listed = client.get("/staff/offers/unanswered").get_data(as_text=True)
        assert need.title in listed and org.name in listed and "light-yellow" in listed
    finally:
        app.config.pop("CLOCK", None)

    reminded = offers.remind_expiring(offer.due_at - timedelta(hours=2))
    again = offers.remind_expiring(offer.due_at - timedelta(hours=1))
    assert (reminded, again) == (1, 0)
    result = offers.expire_due(offer.due_at + timedelta(minutes=1))
    db.session.commit()
    assert result == {"expired": 1, "passed_on": 0}
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "expired"
    assert db.session.get(Need, need.id).status == "published"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offer.expire")).object_id == str(need.id)
    expired = db.session.scalar(sa.select(Notification).where(Notification.kind == "offer_expired"))
    assert expired.user_id == staff.id and expired.params["title"] == need.title
    assert offers.expire_due(offer.due_at + timedelta(minutes=2)) == {"expired": 0, "passed_on": 0}


def test_with_pass_on_an_expired_offer_goes_to_the_next_suggested_organisation(app):
    first = profiled_org(categories=["daily_living"], regions=[BEIJING_STREET], name="第一家")
    second = profiled_org(categories=["daily_living"], regions=["440104"], name="第二家")
    need = placed_need()
    admin = make_user(Role.ADMIN)
    settings.set_value("offer_pass_on", 1, actor=admin)
    offer = offers.route(need, organisation=first, actor=admin)
    db.session.commit()
    result = offers.expire_due(offer.due_at + timedelta(minutes=1))
    db.session.commit()
    assert result == {"expired": 1, "passed_on": 1}
    latest = offers.latest(need.id)
    assert latest.organisation_id == second.id and latest.status == "requested"


def test_pass_on_skips_an_organisation_close_by_that_does_not_help_with_the_category(app):
    first = profiled_org(categories=["daily_living"], regions=["440104"], name="区生活帮扶队")
    # same street, room and no value range: 45 points on place alone, over the category's 40, yet it
    # said it does something else; staff see it marked, pass-on does not route to it
    neighbour = profiled_org(categories=["medical"], regions=[BEIJING_STREET], name="街坊医护队")
    # the right category, a street of the same district, but not the need's street
    next_street = profiled_org(categories=["daily_living"], regions=["440104004"], name="六榕生活队")
    need = placed_need()
    staff_client, _staff = _staff_client(app)
    page = staff_client.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    rows = {org.name: next(r for r in page.split("<tr>") if org.name in r) for org in (neighbour, next_street, first)}
    assert "不在其服务范围" in rows[neighbour.name] and "不在其服务范围" in rows[next_street.name]
    assert "不在其服务范围" not in rows[first.name]

    admin = make_user(Role.ADMIN)
    settings.set_value("offer_pass_on", 1, actor=admin)
    offer = offers.route(need, organisation=first, actor=admin)
    db.session.commit()
    assert offers.expire_due(offer.due_at + timedelta(minutes=1)) == {"expired": 1, "passed_on": 0}
    db.session.commit()
    assert offers.latest(need.id).organisation_id == first.id
    assert db.session.get(Need, need.id).status == "published"  # back in the pool, not with the neighbour


def test_the_status_object_carries_the_latest_offer_and_the_feed_moves(app):
    org = profiled_org(categories=["daily_living"], regions=["440104"], name="越秀爱心协会")
    need = placed_need()
    referral = db.session.get(Referral, need.referral_id)
    referral.source = "assist-gz"
    db.session.commit()
    api = api_for(app)
    path = f"/referrals/{referral.external_id}"
    before = api.get(path).get_json()
    assert before["needs"][0]["offer"] is None
    seq = db.session.get(Referral, referral.id).change_seq
    offer = offers.route(need, organisation=org, actor=make_user(Role.ADMIN))
    db.session.commit()
    body = api.get(path).get_json()
    assert body["needs"][0]["offer"] == {"to": "越秀爱心协会", "status": "requested",
                                         "due": clock.local(offer.due_at).isoformat(timespec="seconds"),
                                         "reason": None}
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).change_seq > seq
    offers.decline(db.session.get(Offer, offer.id), actor=org.members[0], reason="no_capacity")
    db.session.commit()
    assert api.get(path).get_json()["needs"][0]["offer"]["reason"] == "no_capacity"


def test_two_members_accepting_at_once_make_exactly_one_claim(app):
    org = profiled_org(categories=["daily_living"], regions=["440104"])
    members = [org.members[0]] + [make_user(Role.ORG_MEMBER, org=org) for _ in range(5)]
    need = placed_need()
    offer = offers.route(need, organisation=org, actor=make_user(Role.ADMIN))
    db.session.commit()
    clients = []
    for member in members:
        client = app.test_client()
        sign_in(client, member)
        client.get("/org/")
        clients.append(client)
    promised = (clock.today() + timedelta(days=3)).isoformat()
    start = threading.Barrier(len(clients))
    offer_id = offer.id

    def accept(client):  # type: ignore[no-untyped-def]
        start.wait()
        response = client.post(f"/org/offers/{offer_id}/accept", data={"promised_by": promised},
                               follow_redirects=True)
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(accept, clients))
    assert all(code == 200 for code, _page in results)
    assert sum("flash-success" in page for _code, page in results) == 1
    assert sum("该派单已经答复过了" in page for _code, page in results) == len(clients) - 1
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.need_id == need.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "offer.accept")) == 1


def test_an_offer_of_many_items_is_accepted_in_part_and_the_rest_routed_on(app):
    first = profiled_org(categories=["daily_living"], regions=[BEIJING_STREET], name="小队一")
    second = profiled_org(categories=["daily_living"], regions=["440104"], name="小队二")
    need = placed_need(title="防跌倒套装")
    need.quantity = need.referral.quantity = 5
    db.session.commit()
    staff, _staff_user = _staff_client(app)
    staff.post(f"/staff/needs/{need.id}/offers", data={"organisation_id": first.id})
    offer = offers.latest(need.id)
    member = _member_client(app, first)
    page = member.get(f"/org/offers/{offer.id}").get_data(as_text=True)
    assert "name=\"quantity\"" in page and "还需 5 份" in page
    promised = (clock.today() + timedelta(days=5)).isoformat()
    too_many = member.post(f"/org/offers/{offer.id}/accept", data={"promised_by": promised, "quantity": "9"},
                           follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "requested"  # refused whole: nothing changed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
    assert too_many.status_code == 200

    member.post(f"/org/offers/{offer.id}/accept", data={"promised_by": promised, "quantity": "2"})
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert (need.status, need.left) == ("published", 3)  # the rest stays in the pool
    assert need.part_of(first.id).quantity == 2
    # staff route the rest on; the organisation holding a part is not suggested again
    panel = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    suggested = panel[panel.index("suggestions"):].split("</table>")[0]
    assert "小队二" in suggested and "小队一" not in suggested
    staff.post(f"/staff/needs/{need.id}/offers", data={"organisation_id": second.id})
    rest = offers.latest(need.id)
    _member_client(app, second).post(f"/org/offers/{rest.id}/accept", data={"promised_by": promised})
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.status == "claimed" and sorted(p.quantity for p in need.parts) == [2, 3]


def test_pass_on_skips_an_organisation_that_covers_less_than_one_item_of_the_need(app):
    first = profiled_org(categories=["daily_living"], regions=["440104"], name="区生活帮扶队")
    small = profiled_org(categories=["daily_living"], regions=[BEIJING_STREET], name="小额资助站",
                         value_max_fen=10_000)  # ¥100 at most; the need is ¥299
    need = placed_need()
    staff_client, _staff = _staff_client(app)
    page = staff_client.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if small.name in r)
    assert "超出其常规资助金额" in row
    admin = make_user(Role.ADMIN)
    settings.set_value("offer_pass_on", 1, actor=admin)
    offer = offers.route(need, organisation=first, actor=admin)
    db.session.commit()
    assert offers.expire_due(offer.due_at + timedelta(minutes=1)) == {"expired": 1, "passed_on": 0}


def test_needs_waiting_a_day_with_no_offer_out_are_queued_for_staff_to_route_until_one_is(app):
    org = profiled_org(categories=["daily_living"], regions=["440104"], name="区生活帮扶队")
    waiting = placed_need(waited_days=3, title="等了三天的电饭煲")
    placed_need(waited_days=0, title="今天刚发布的需求")
    elsewhere = placed_need(waited_days=5, street="440106001", district="440106", title="天河的需求")
    staff = make_user(Role.STAFF, region="440104")

    def queued() -> list[str]:
        with app.test_request_context():
            (section,) = [s for s in work_queue(staff) if s.key == "to_route"]
            return [item.label for item in section.items]

    assert queued() == ["等了三天的电饭煲"]  # not the fresh one, not another district's
    assert elsewhere.id not in [n.id for n in db.session.scalars(offers.to_route_query(staff, clock.now()))]
    client, _ = _staff_client(app, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert "等待派单的需求" in page and "等了三天的电饭煲" in page
    # The section's full list ("All N →" when it holds more than it shows): the same needs, each
    # opening the need at its routing panel.
    with app.test_request_context():
        assert [s.more_href for s in work_queue(staff) if s.key == "to_route"] == ["/staff/offers/to-route"]
    full = client.get("/staff/offers/to-route").get_data(as_text=True)
    assert f'href="/staff/needs/{waiting.id}#offers"' in full
    assert "今天刚发布的需求" not in full and "天河的需求" not in full
    offers.route(waiting, organisation=org, actor=staff)
    db.session.commit()
    assert queued() == []  # an offer is out: nothing to route until it is answered or expires
    assert "没有等待派单的需求" in client.get("/staff/offers/to-route").get_data(as_text=True)
