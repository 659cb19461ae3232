"""Organisations register themselves; staff of their region approve or reject with a reason."""

from __future__ import annotations

import html
import re

import pytest

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.organisations import credit_code
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation
from tests.conftest import PASSWORD, make_org, sign_in

VALID_CODE = credit_code.make("53440104MA1234567")


def form(**overrides):
    data = {
        "name": "广州市测试慈善会", "kind": "charity", "credit_code": VALID_CODE,
        "contact_name": "王女士", "contact_phone": "020-83331234", "contact_email": "wang@example.cn",
        "description": "助老助残", "regions": ["440104", "440106001"], "categories": ["visit", "meals"],
        "member_email": "Member@Example.cn", "password": "long-enough-1", "confirm": "long-enough-1",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("code", "valid"),
    [("91440300708461136T", True), ("91350100M000100Y43", True), ("91440300708461136X", False),
     ("9144030070846113", False), ("9144030070846113IT", False), ("", False)],
)
def test_credit_code_check_character(code, valid):
    assert credit_code.is_valid(credit_code.normalise(code)) is valid


def test_registration_creates_pending_org_and_member(client):
    response = client.post("/org/register", data=form(credit_code=VALID_CODE.lower()))
    assert response.status_code == 302
    org = db.session.scalar(db.select(Organisation))
    assert org.status == "pending" and org.credit_code == VALID_CODE
    assert [r.code for r in org.regions] == ["440104", "440106001"]
    assert org.categories == ["meals", "visit"]
    member = org.members[0]
    assert member.email == "member@example.cn" and member.role == Role.ORG_MEMBER
    assert "organisation.register" in db.session.scalars(db.select(AuditEvent.action)).all()
    sign_in(client, member, "long-enough-1")
    page = client.get("/org/").get_data(as_text=True)
    assert "广州市测试慈善会" in page and "status-pending" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("credit_code", "91440300708461136X"), ("credit_code", "123"), ("name", ""), ("regions", []),
     ("regions", ["999999"]), ("categories", []), ("categories", ["flying"]), ("confirm", "different-1"),
     ("password", "short"), ("member_email", "not-an-email"), ("contact_phone", "call me"), ("kind", "bank")],
)
def test_bad_registration_shows_field_error_and_writes_nothing(client, field, value):
    response = client.post("/org/register", data=form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 0


def test_duplicate_credit_code_is_refused(client):
    # An email that has an account is not refused: tests/organisations/test_registration_privacy.py
    assert client.post("/org/register", data=form()).status_code == 302
    page = client.post("/org/register", data=form(member_email="other@example.cn")).get_data(as_text=True)
    assert 'id="credit_code-error"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 1


def test_staff_of_the_region_approves(as_role):
    org = make_org(status="pending", region="440104001")
    staff = as_role(Role.STAFF, region="440104")
    assert org.name in staff.get("/staff/organisations").get_data(as_text=True)
    response = staff.post(f"/staff/organisations/{org.id}", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == "approved" and org.reviewed_by_id == staff.user.id
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organisation.approve"))
    assert event.before == {"status": "pending", "reason": ""} and event.after["status"] == "approved"


def test_rejection_needs_a_reason_which_the_org_then_reads(app, as_role):
    org = make_org(status="pending")
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post(f"/staff/organisations/{org.id}", data={"decision": "reject", "reason": "  "})
    assert 'id="reason-error"' in page.get_data(as_text=True)
    db.session.refresh(org)
    assert org.status == "pending"
    staff.post(f"/staff/organisations/{org.id}", data={"decision": "reject", "reason": "证照不全"})
    db.session.refresh(org)
    assert org.status == "rejected"
    member = app.test_client()
    sign_in(member, org.members[0])
    assert "证照不全" in member.get("/org/").get_data(as_text=True)


def test_staff_of_another_district_cannot_see_or_review(as_role):
    org = make_org(status="pending", region="440104")
    staff = as_role(Role.STAFF, region="440106")
    assert org.name not in staff.get("/staff/organisations").get_data(as_text=True)
    assert staff.post(f"/staff/organisations/{org.id}", data={"decision": "approve"}).status_code == 403
    db.session.refresh(org)
    assert org.status == "pending"


def test_street_staff_see_district_wide_orgs_and_admin_sees_all(as_role):
    district_wide = make_org(status="pending", region="440104")
    other_street = make_org(status="pending", region="440104001")
    street_staff = as_role(Role.STAFF, region="440104003")
    page = street_staff.get("/staff/organisations").get_data(as_text=True)
    assert district_wide.name in page and other_street.name not in page
    admin_page = as_role(Role.ADMIN).get("/staff/organisations").get_data(as_text=True)
    assert district_wide.name in admin_page and other_street.name in admin_page


def test_only_approved_organisations_may_act(app):
    pending = make_org(status="pending")
    rejected = make_org(status="rejected")
    approved = make_org(status="approved")
    for org in (pending, rejected):
        with pytest.raises(organisations.OrganisationError):
            organisations.ensure_may_act(org)
    organisations.ensure_may_act(approved)


def test_member_of_pending_org_can_sign_in_and_sees_it_pending(app):
    org = make_org(status="pending")
    client = app.test_client()
    client.post("/login", data={"email": org.members[0].email, "password": PASSWORD})
    page = client.get("/org/").get_data(as_text=True)
    assert "status-pending" in page


def test_review_list_filters_and_pages(as_role):
    for _ in range(22):
        make_org(status="pending", kind="company")
    make_org(status="approved", kind="charity", name="已通过的慈善会")
    staff = as_role(Role.STAFF)
    first = staff.get("/staff/organisations?status=pending").get_data(as_text=True)
    rows = r'<a href="/staff/organisations/\d+">'  # one link per organisation shown
    assert len(re.findall(rows, first)) == 20
    following = html.unescape(re.search(r'<a href="([^"]*after=[^"]*)" rel="next"', first).group(1))
    second = staff.get(following).get_data(as_text=True)
    assert len(re.findall(rows, second)) == 2 and 'rel="next"' not in second
    assert not set(re.findall(rows, first)) & set(re.findall(rows, second))
    approved = staff.get("/staff/organisations?status=approved&kind=charity").get_data(as_text=True)
    assert "已通过的慈善会" in approved
    assert staff.get("/staff/organisations?page=999&kind=zzz&status=zzz").status_code == 200


def test_reviewing_twice_is_refused_with_a_message(as_role):
    org = make_org(status="approved", region="440104")
    staff = as_role(Role.STAFF)
    response = staff.post(f"/staff/organisations/{org.id}", data={"decision": "approve"}, follow_redirects=True)
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    reviews = db.select(db.func.count()).where(AuditEvent.action == "organisation.approve")
    assert db.session.scalar(reviews) == 1  # only the factory's approval
