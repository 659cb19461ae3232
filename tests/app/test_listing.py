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


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.headers["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_projects_list_filters_searches_sorts_by_plan_total_and_exports(as_role):
    from tests.projects.support import make_project

    staff = as_role(Role.STAFF, region="440104")
    small = make_project("plan_approved", lines=(1_000_000,), staff=staff.user)
    big = make_project("plan_approved", lines=(3_000_000, 2_000_000), staff=staff.user)
    surveyed = make_project("surveyed", lines=(), staff=staff.user)
    page = staff.get("/staff/projects/?sort=-total").get_data(as_text=True)
    ids = re.findall(r'<a href="/staff/projects/(\d+)">', page)
    assert ids[:2] == [str(big.id), str(small.id)]  # the biggest plan first, summed in SQL
    milestone = staff.get("/staff/projects/?milestone=surveyed").get_data(as_text=True)
    assert re.findall(r'<a href="/staff/projects/(\d+)">', milestone) == [str(surveyed.id)]
    assert 'name="q"' in page and "<mark>" in staff.get("/staff/projects/?q=漏水").get_data(as_text=True)
    rows = _csv(staff.get("/staff/projects/export.csv?sort=total"))
    assert rows[0][0] == "项目" and [r[4] for r in rows[1:]] == ["¥0.00", "¥10,000.00", "¥50,000.00"]
    assert small.household.head_name not in "".join(map(str, rows))
    elsewhere = as_role(Role.STAFF, region="440106").get("/staff/projects/export.csv")
    assert elsewhere.get_data(as_text=True).count("\n") == 1  # another district's staff: headings only


def test_the_meal_pledges_list_searches_by_company_sorts_and_exports(as_role):
    from marketplace import clock
    from marketplace.meals import pledges
    from tests.meals.support import make_company, make_outlet

    today = clock.today()
    for name, meals in (("甲餐饮公司", 30), ("乙餐饮公司", 10)):
        outlet = make_outlet(make_company(name=name), name=f"{name}一店")
        pledges.create_pledge(outlet, actor=outlet.organisation.members[0], meals_per_day=meals, starts_on=today,
                              ends_on=today, weekdays=127, today=today)
    from marketplace.extensions import db

    db.session.commit()
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/meals/pledges?sort=-meals").get_data(as_text=True)
    assert page.index("甲餐饮公司") < page.index("乙餐饮公司") and 'aria-sort="descending"' in page
    only = staff.get("/staff/meals/pledges?q=乙餐饮").get_data(as_text=True)
    assert "乙餐饮公司" in only and "甲餐饮公司" not in only
    rows = _csv(staff.get("/staff/meals/pledges/export.csv?sort=meals"))
    assert [r[0] for r in rows[1:]] == ["乙餐饮公司", "甲餐饮公司"] and rows[1][3] == "10"
    assert rows[1][7] == "待审核"  # the status in the reader's words


def test_the_meal_codes_list_filters_by_state_and_exports(as_role):
    from marketplace import clock
    from marketplace.extensions import db
    from marketplace.meals import eligibility

    staff = as_role(Role.STAFF, region="440104")
    kept, _code = eligibility.issue_code(actor=staff.user, note="给张姨的额外餐", valid_days=30, today=clock.today())
    revoked, _code = eligibility.issue_code(actor=staff.user, note="已撤销的码", valid_days=30, today=clock.today())
    eligibility.revoke_code(revoked, actor=staff.user, now=clock.now())
    db.session.commit()
    page = staff.get("/meal-codes/?state=revoked").get_data(as_text=True)
    assert "已撤销的码" in page and "给张姨的额外餐" not in page
    rows = _csv(staff.get("/meal-codes/export.csv?sort=no"))
    assert [r[0] for r in rows[1:]] == [str(kept.id), str(revoked.id)]
    assert rows[1][5] == "未使用" and rows[2][5] == "已作废"


def test_the_donations_list_filters_searches_shown_names_and_exports(as_role):
    from marketplace.donations.models import Donation
    from marketplace.extensions import db

    gifts = (("王先生", True, "succeeded", 50_000), ("李女士", False, "succeeded", 20_000),
             ("赵先生", True, "failed", 10_000))
    for n, (name, shown, status, fen) in enumerate(gifts):
        db.session.add(Donation(token=f"t{n}", district_code="440104", amount_fen=fen, general_fund_fen=fen,
                                status=status, donor_name=name, show_name=shown, email=f"d{n}@example.org"))
    db.session.commit()
    admin = as_role(Role.ADMIN)
    found = admin.get("/admin/donations?q=王").get_data(as_text=True)
    assert "王先生" in found and "¥500.00" in found
    hidden = admin.get("/admin/donations?q=李女士").get_data(as_text=True)
    assert "¥200.00" not in hidden  # an anonymous gift is not found by the name it hid
    rows = _csv(admin.get("/admin/donations/export.csv?status=succeeded&sort=-amount"))
    assert [r[3] for r in rows[1:]] == ["¥500.00", "¥200.00"] and rows[2][5] == "匿名捐赠人"
    assert "d0@example.org" not in "".join(",".join(r) for r in rows)


PAGER = '{% from "_forms.html" import pager %}{{ pager(page, "staff_needs.need_list") }}'


def _walk(paging, query, per_page, token=None, *, backwards=False):
    """Every page of a list by following Next (or Previous, from `token`), as a reader would: the
    pages' ids in the list's order, and the page that ended the walk."""
    pages, cursor = [], paging.Cursor(paging._decoded(token), backwards) if token else None
    while True:
        page = paging.paginate(query, per_page=per_page, cursor=cursor)
        pages.append([item.id for item in page.items])
        token = page.prev_token if backwards else page.next_token
        if token is None:
            return (pages[::-1] if backwards else pages), page
        cursor = paging.Cursor(paging._decoded(token), backwards)
        assert len(pages) < 50, "paging never ended"


def test_lists_page_by_keyset_through_ties_and_nulls_both_ways(app):
    """Next and Previous reach every row exactly once in the list's order, NULLs last on both databases."""
    from datetime import date

    import sqlalchemy as sa
    from flask import render_template_string

    from marketplace import paging
    from marketplace.extensions import db
    from marketplace.needs.models import Need
    from tests.conftest import make_need

    promised = [None, date(2026, 1, 5), date(2026, 1, 5), None, date(2026, 2, 1), date(2026, 1, 5), None,
                date(2025, 12, 1), date(2026, 2, 1), None, date(2026, 1, 9)]
    needs = [make_need("published") for _ in promised]
    for need, day in zip(needs, promised, strict=True):
        need.promised_by = day
    db.session.commit()
    query = sa.select(Need).order_by(Need.promised_by.desc(), Need.id)
    dated = sorted((n for n in needs if n.promised_by), key=lambda n: (-n.promised_by.toordinal(), n.id))
    expected = [n.id for n in dated] + sorted(n.id for n in needs if n.promised_by is None)
    with app.test_request_context("/"):
        for per_page in (1, 2, 3, 4, 11, 20):
            pages, last = _walk(paging, query, per_page)
            assert [i for page in pages for i in page] == expected, per_page
            assert all(len(page) == per_page for page in pages[:-1])
            if len(pages) > 1:  # from the last page back to the first by Previous: the same pages
                assert _walk(paging, query, per_page, last.prev_token, backwards=True)[0] == pages[:-1], per_page
            else:
                assert last.prev_token is None
        first = paging.paginate(query, per_page=4, cursor=None)
        pager = render_template_string(PAGER, page=first)
        assert "下一页" in pager and "上一页" not in pager and "after=" in pager
        second = paging.paginate(query, per_page=4,
                                 cursor=paging.Cursor(paging._decoded(first.next_token)))
        pager = render_template_string(PAGER, page=second)
        assert "上一页" in pager and "before=" in pager and "首页" in pager
    # A token edited by hand, or of another order, starts again at the first page, never an error.
    for junk in ["x", "W10", "WyJ4Il0", paging._encoded(("2026-01-01", 3)), paging._encoded((True, "x", 1)),
                 paging._encoded((False, {"t": "2026-01-01T00:00:00"}, 2)), "!!!", "W1tdXQ", "e30"]:
        with app.test_request_context("/", query_string={"after": junk}):
            shown = paging.paginate(query, per_page=3, cursor=paging.cursor_arg())
            assert [n.id for n in shown.items] == expected[:3], junk


def test_a_staff_list_pages_by_next_and_previous_over_http(as_role):
    from marketplace.extensions import db
    from tests.conftest import make_need

    made = [make_need("published").id for _ in range(35)]
    db.session.commit()
    staff = as_role(Role.ADMIN)
    first = staff.get("/staff/needs/?sort=published").get_data(as_text=True)
    token = re.search(r'href="[^"]*after=([\w-]+)[^"]*" rel="next"', first).group(1)
    second = staff.get(f"/staff/needs/?sort=published&after={token}")
    assert second.status_code == 200
    shown = set(map(int, re.findall(r"/staff/needs/(\d+)\"", first))) | set(
        map(int, re.findall(r"/staff/needs/(\d+)\"", second.get_data(as_text=True))))
    assert set(made) <= shown
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert staff.get("/staff/needs/?after=garbage&before=junk").status_code == 200
