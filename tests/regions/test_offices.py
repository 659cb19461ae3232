"""Everyone is told whom to contact: the footer's office, the privacy notice, each region's office."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.regions.models import Region
from tests.conftest import make_need


def _office(admin, code, **data):
    return admin.post(f"/admin/regions/{code}", data={"office_name": "", "office_phone": "", "office_address": "",
                                                      **data})


def test_admin_sets_a_district_office_and_the_giving_off_page_gives_it(app, as_role, client):
    admin = as_role(Role.ADMIN)
    assert "越秀区" in admin.get("/admin/regions/").get_data(as_text=True)
    saved = _office(admin, "440104", office_name="越秀区民政局", office_phone="020-8300 0000",
                    office_address="越秀区某路1号")
    assert saved.status_code == 302
    page = client.get("/districts/440104/give").get_data(as_text=True)  # giving is off in tests
    assert "越秀区民政局" in page and 'href="tel:020-83000000"' in page
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "region.office")).one()
    assert event.after["office_phone"] == "020-8300 0000" and event.before["office_phone"] == ""


def test_a_street_office_comes_before_its_district_and_the_site_office_comes_last(app, monkeypatch):
    from marketplace.regions.offices import office_of

    monkeypatch.setitem(app.config, "OFFICE_PHONE", "020-1234 5678")
    street, district = db.session.get(Region, "440104003"), db.session.get(Region, "440104")
    assert office_of(street).phone == "020-1234 5678"  # nothing known nearer
    district.office_name, district.office_phone = "越秀区民政局", "020-1"
    assert office_of(street).name == "越秀区民政局"
    street.office_phone = "020-2"
    assert office_of(street).phone == "020-2" and office_of(street).name == street.full_name


def test_an_office_without_a_phone_is_refused_on_the_field(app, as_role):
    admin = as_role(Role.ADMIN)
    response = _office(admin, "440104", office_name="越秀区民政局")
    assert response.status_code == 200 and "请填写办公室电话" in response.get_data(as_text=True)
    assert db.session.get(Region, "440104").office_name == ""


def test_only_admins_edit_offices(app, as_role, client):
    staff = as_role(Role.STAFF, region="440104")
    assert staff.get("/admin/regions/").status_code == 403
    assert _office(staff, "440104", office_phone="1").status_code == 403
    assert client.get("/admin/regions/440104").status_code == 302  # to sign in
    assert as_role(Role.ADMIN).get("/admin/regions/nowhere").status_code == 404


def test_footer_has_the_office_the_privacy_notice_and_the_filing_number(app, client, monkeypatch):
    for key, value in (("OFFICE_NAME", "善联运营办公室"), ("OFFICE_PHONE", "020-1234 5678"),
                       ("OFFICE_EMAIL", "help@example.cn"), ("ICP_NUMBER", "粤ICP备12345678号-1")):
        monkeypatch.setitem(app.config, key, value)
    html = client.get("/").get_data(as_text=True)
    footer = html[html.index('<footer class="site">'):]
    for shown in ("善联运营办公室", "tel:020-12345678", "mailto:help@example.cn", "粤ICP备12345678号-1",
                  'href="/privacy"', 'href="/confirm"', 'href="/projects"'):
        assert shown in footer, shown
    notice = client.get("/privacy").get_data(as_text=True)
    assert "身份证号" in notice and "审计日志" in notice and "020-1234 5678" in notice
    client.get("/lang/en")
    assert "Privacy notice" in client.get("/privacy").get_data(as_text=True)


def test_menus_reach_projects_leaderboards_and_staff_projects(app, as_role, client):
    make_need("published")
    staff_nav = as_role(Role.STAFF, region="440104").get("/staff/").get_data(as_text=True)
    assert 'href="/staff/projects/"' in staff_nav and 'href="/staff/leaderboards"' in staff_nav
    member_nav = as_role(Role.ORG_MEMBER).get("/needs").get_data(as_text=True)
    assert 'href="/projects"' in member_nav and 'href="/leaderboards"' in member_nav
    assert 'href="/projects"' in client.get("/needs").get_data(as_text=True)
