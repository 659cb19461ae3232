"""Approving or rejecting an organisation needs staff whose region covers ALL its service regions;
staff who see it but may not decide recommend a decision, which the deciding staff read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace import state
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations import credit_code
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation, OrgStatus, Recommendation
from marketplace.organisations.service import ReviewAction
from marketplace.web import Anonymous
from tests.conftest import PASSWORD, make_user, sign_in

YUEXIU, TIANHE = "440104", "440106"
HONGQIAO, BEIJING_JIE, TIANHE_STREET = "440104001", "440104003", "440106001"
_n = iter(range(1, 10_000))


def _org(*regions: str, status: str = "pending") -> Organisation:
    """An organisation serving these regions, reviewed by an admin into `status`."""
    n = next(_n)
    org = organisations.register(organisations.Registration(
        name=f"服务范围测试{n}", kind="charity", credit_code=credit_code.make(f"53440104MB{n:07d}"),
        contact_name="联系人", contact_phone="020-83330000", contact_email=f"scope{n}@example.cn",
        member_email=f"scope-member{n}@example.cn", member_password=PASSWORD, region_codes=list(regions),
        categories=["daily_living"]))
    if status != "pending":
        organisations.review(org, actor=make_user(Role.ADMIN), approve=status == "approved", reason="测试")
    db.session.commit()
    return org


@pytest.fixture
def staff(app):  # type: ignore[no-untyped-def]
    return {
        "admin": make_user(Role.ADMIN), "district": make_user(Role.STAFF, region=YUEXIU),
        "street": make_user(Role.STAFF, region=BEIJING_JIE), "other_district": make_user(Role.STAFF, region=TIANHE),
    }


def _decides(org: Organisation, user) -> bool:  # type: ignore[no-untyped-def]
    """Whether the user's approval is accepted (rolled back either way)."""
    savepoint = db.session.begin_nested()
    try:
        organisations.review(org, actor=user, approve=True)
    except DomainError:
        return False
    finally:
        savepoint.rollback()
    return True


# (the organisation's regions) -> who decides on it
WHO_DECIDES = {
    (YUEXIU,): {"admin", "district"},  # the whole district: not a street's staff
    (HONGQIAO, BEIJING_JIE): {"admin", "district"},  # two streets: only staff covering both
    (BEIJING_JIE,): {"admin", "district", "street"},
    (BEIJING_JIE, TIANHE_STREET): {"admin"},  # streets of two districts
    (YUEXIU, TIANHE): {"admin"},
}


@pytest.mark.parametrize("regions", list(WHO_DECIDES), ids="+".join)
def test_only_staff_covering_all_service_regions_decide(staff, regions):
    org = _org(*regions)
    assert {who for who, user in staff.items() if _decides(org, user)} == WHO_DECIDES[regions]


def test_street_staff_cannot_approve_or_reject_a_district_wide_organisation(staff):
    org = _org(YUEXIU)
    with pytest.raises(organisations.OrganisationError, match="recommend|建议"):
        organisations.review(org, actor=staff["street"], approve=True)
    with pytest.raises(organisations.OrganisationError):
        organisations.review(org, actor=staff["street"], approve=False, reason="材料不全")
    assert org.status == OrgStatus.PENDING
    organisations.review(org, actor=staff["district"], approve=True)
    assert org.status == OrgStatus.APPROVED and org.reviewed_by_id == staff["district"].id


def test_a_recommendation_is_recorded_audited_and_only_for_those_who_may_not_decide(staff):
    org = _org(YUEXIU)
    with pytest.raises(organisations.OrganisationError):
        organisations.recommend(org, actor=staff["street"], decision="approve", reason="  ")
    with pytest.raises(organisations.OrganisationError):
        organisations.recommend(org, actor=staff["street"], decision="maybe", reason="看看")
    with pytest.raises(organisations.OrganisationError):  # they decide themselves
        organisations.recommend(org, actor=staff["district"], decision="approve", reason="我来决定")
    with pytest.raises(organisations.OrganisationError):  # not theirs to see
        organisations.recommend(org, actor=staff["other_district"], decision="reject", reason="不了解")
    item = organisations.recommend(org, actor=staff["street"], decision="reject", reason="上门核实，办公地址是空置商铺")
    db.session.commit()
    assert org.status == OrgStatus.PENDING  # advice changes nothing by itself
    assert [(r.decision, r.recommended_by_id) for r in org.recommendations] == [("reject", staff["street"].id)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "organisation.recommend"))
    assert event.actor_id == staff["street"].id and event.object_id == str(org.id)
    assert event.after == {"recommendation_id": item.id, "decision": "reject", "reason": "上门核实，办公地址是空置商铺"}


@pytest.mark.parametrize("status", list(OrgStatus))
def test_what_the_review_page_offers_is_what_the_service_accepts(staff, status):
    org = _org(YUEXIU, status=status)
    people = {**staff, "anonymous": Anonymous(), "member": org.members[0]}
    operations = {
        ReviewAction.APPROVE: lambda u: organisations.review(org, actor=u, approve=True),
        ReviewAction.REJECT: lambda u: organisations.review(org, actor=u, approve=False, reason="不符合条件"),
        ReviewAction.RECOMMEND: lambda u: organisations.recommend(org, actor=u, decision="approve", reason="可以"),
    }
    for who, user in people.items():
        for action, operation in operations.items():
            db.session.refresh(org)
            offered = action in state.allowed(org, user)
            savepoint = db.session.begin_nested()
            try:
                operation(user)
                accepted = True
            except (DomainError, PermissionError, AttributeError):
                accepted = False
            finally:
                savepoint.rollback()
            assert offered == accepted, (who, action, offered, accepted)
    may = {who: set(state.allowed(org, user)) for who, user in people.items()}
    assert may["street"] == {ReviewAction.RECOMMEND}
    assert ReviewAction.RECOMMEND not in may["district"] | may["admin"]
    assert may["other_district"] == may["anonymous"] == may["member"] == set()


# --- the pages ------------------------------------------------------------------------------------

def _client(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, user)
    return client


def test_street_staff_are_offered_a_recommendation_not_the_decision(app, staff):
    org = _org(YUEXIU)
    street = _client(app, staff["street"])
    page = street.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    assert f'action="/staff/organisations/{org.id}/recommend"' in page
    assert f'action="/staff/organisations/{org.id}"' not in page  # no decision form
    # Posting a decision anyway is refused with a message and changes nothing.
    refused = street.post(f"/staff/organisations/{org.id}", data={"decision": "approve"}, follow_redirects=True)
    assert refused.status_code == 200 and "flash-error" in refused.get_data(as_text=True)
    db.session.refresh(org)
    assert org.status == OrgStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "organisation.approve")) == 0

    missing = street.post(f"/staff/organisations/{org.id}/recommend", data={"decision": "reject", "reason": " "})
    assert missing.status_code == 200 and 'id="reason-error"' in missing.get_data(as_text=True)
    sent = street.post(f"/staff/organisations/{org.id}/recommend",
                       data={"decision": "reject", "reason": "上门核实，办公地址是空置商铺"})
    assert sent.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 1


def test_the_deciding_staff_read_the_recommendation_and_decide(app, staff):
    org = _org(YUEXIU)
    organisations.recommend(org, actor=staff["street"], decision="reject", reason="上门核实，办公地址是空置商铺")
    db.session.commit()
    district = _client(app, staff["district"])
    page = district.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    assert "上门核实，办公地址是空置商铺" in page and staff["street"].display_name in page
    assert f'action="/staff/organisations/{org.id}"' in page
    assert f'action="/staff/organisations/{org.id}/recommend"' not in page
    response = district.post(f"/staff/organisations/{org.id}", data={"decision": "reject", "reason": "办公地址不实"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == OrgStatus.REJECTED
    # A district's staff see a two-district organisation but decide nothing on it.
    wide = _org(YUEXIU, TIANHE)
    page = district.get(f"/staff/organisations/{wide.id}").get_data(as_text=True)
    assert f'action="/staff/organisations/{wide.id}/recommend"' in page
    assert district.post(f"/staff/organisations/{wide.id}", data={"decision": "approve"}).status_code == 200
    db.session.refresh(wide)
    assert wide.status == OrgStatus.PENDING
