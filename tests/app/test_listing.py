"""Staff and admin lists sort by their columns and export exactly what they show."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from marketplace.accounts.models import Role
from tests.conftest import make_user


def _emails(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', html)


def test_the_accounts_list_sorts_by_a_column_and_reverses(as_role):
    admin = as_role(Role.ADMIN)
    for _ in range(3):
        make_user(Role.STAFF)
    ascending = _emails(admin.get("/admin/users?sort=email").get_data(as_text=True))
    descending_page = admin.get("/admin/users?sort=-email").get_data(as_text=True)
    assert ascending == sorted(ascending) and _emails(descending_page) == sorted(ascending, reverse=True)
    assert 'aria-sort="descending"' in descending_page and "sort=email" in descending_page  # its heading reverses
    assert admin.get("/admin/users?sort=password_hash").status_code == 200  # not a column: the usual order


def test_the_export_is_the_filtered_list_in_its_order(as_role):
    admin = as_role(Role.ADMIN)
    staff = [make_user(Role.STAFF) for _ in range(2)]
    make_user(Role.ORG_MEMBER)
    response = admin.get("/admin/users/export.csv?role=staff&sort=-email")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "邮箱" and rows[0][2] == "角色"  # headings in the reader's words
    assert [r[0] for r in rows[1:]] == sorted((u.email for u in staff), reverse=True)
    book = load_workbook(io.BytesIO(admin.get("/admin/users/export.xlsx?role=staff").data))
    assert book.active.max_row == 3
    assert admin.get("/admin/users/export.pdf").status_code == 404
    assert as_role(Role.STAFF).get("/admin/users/export.csv").status_code == 403


def test_an_export_too_long_for_one_file_asks_for_narrower_filters(as_role, monkeypatch):
    from marketplace import listing

    admin = as_role(Role.ADMIN)
    make_user(Role.STAFF)
    monkeypatch.setattr(listing, "EXPORT_LIMIT", 1)
    response = admin.get("/admin/users/export.csv?role=")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/users")
    assert "缩小筛选范围" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_the_organisations_list_sorts_and_exports_the_regions_organisations(as_role):
    from tests.conftest import make_org

    for name in ("乙慈善会", "甲慈善会", "丙慈善会"):
        make_org(name=name, status="pending")
    make_org(name="天河慈善会", region="440106", status="pending")
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/organisations?status=pending&sort=name").get_data(as_text=True)
    names = re.findall(r'<a href="/staff/organisations/\d+">([^<]+)</a>', page)
    assert names == sorted(names) and "天河慈善会" not in names and len(names) == 3
    rows = list(csv.reader(io.StringIO(
        staff.get("/staff/organisations/export.csv?status=pending&sort=-name").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == sorted(names, reverse=True)  # the same list, in the asked order
    assert "020-83330000" in rows[1][4]  # with the contact the page leaves out


def test_the_needs_list_filters_by_street_sorts_and_exports_without_personal_data(as_role):
    from tests.conftest import make_need

    here = make_need("published")  # 北京街道
    there = make_need("published", household={"street": "洪桥街道"})
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/needs/").get_data(as_text=True)
    assert 'name="street"' in page and "洪桥街道" in page  # the district's streets as a choice
    street = staff.get("/staff/needs/?street=440104003").get_data(as_text=True)
    assert f"/staff/needs/{here.id}" in street and f"/staff/needs/{there.id}\"" not in street
    ordered = staff.get("/staff/needs/?sort=-value").get_data(as_text=True)
    assert 'aria-sort="descending"' in ordered
    body = staff.get("/staff/needs/export.csv?street=440104003").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][0] == here.title and "北京街道" in rows[1][1]
    assert here.household.head_name not in body and here.household.phone not in body


def test_the_households_list_shows_open_needs_and_last_help_sorts_and_exports(as_role):
    from tests.conftest import make_need

    busy = make_need("published").household
    make_need("claimed", household={"external_id": busy.external_id})
    helped = make_need("closed", household={"external_id": "H-HELPED"}).household
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/households?sort=-open_needs").get_data(as_text=True)
    ids = re.findall(r'<a href="/staff/households/(\d+)">', page)
    assert ids[0] == str(busy.id)  # two open needs: first
    body = staff.get("/staff/households/export.csv?sort=-open_needs").get_data(as_text=True)
    rows = {r[0]: r for r in csv.reader(io.StringIO(body.lstrip("\ufeff")))}
    busy_row = next(r for k, r in rows.items() if k.startswith(f"#{busy.id} "))
    helped_row = next(r for k, r in rows.items() if k.startswith(f"#{helped.id} "))
    assert busy_row[5] == "2" and busy_row[7] == "" and helped_row[5] == "0" and helped_row[7][:2] == "20"
    assert busy.head_name not in body and busy.phone not in body  # no personal data in the list or its file


def test_the_referrals_list_filters_by_category_sorts_and_exports(as_role):
    from marketplace.households import intake
    from tests.conftest import referral_payload

    staff = as_role(Role.STAFF, region="440104")
    for category in ("daily_living", "medical", "daily_living"):
        intake.receive("test-source", referral_payload(category=category), actor=staff.user)
    from marketplace.extensions import db

    db.session.commit()
    page = staff.get("/staff/referrals?category=daily_living&sort=-referred").get_data(as_text=True)
    assert len(re.findall(r'<a href="/staff/referrals/\d+">', page)) == 2
    rows = list(csv.reader(io.StringIO(staff.get("/staff/referrals/export.csv?category=daily_living")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3 and all("GZ-YX-" in r[1] for r in rows[1:])
