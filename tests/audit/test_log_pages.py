"""The audit log reads in words: actions, objects and actors named, links to the objects, changed fields
with labels and formatted values, filters as choices, a CSV export for admins, and the same rows on
the household, need and project history pages."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from datetime import UTC, datetime

import pytest

from marketplace.accounts.models import Role
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.needs import transitions
from tests.conftest import make_need, make_org, make_user, sign_in

PERSONAL = ["李桂芳", "13800138000", "越秀区北京路88号", "440104195201011234"]


def _table(page: str) -> str:
    start = page.index('<table class="list audit">')
    return page[start:page.index("</table>", start)]


def rows(page: str) -> list[str]:
    """Each row of the log as a reader sees it: the text of its cells, tags and extra spaces removed."""
    if '<table class="list audit">' not in page:
        return []
    body = _table(page).split("<tbody>", 1)[1]
    cells = (re.sub(r"</(td|li)>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S))
    return [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in cells]


def links(page: str) -> list[str]:
    """The addresses the log's rows link to."""
    return re.findall(r'href="([^"]+)"', _table(page)) if '<table class="list audit">' in page else []


def admin_client(app, *, lang: str | None = None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.user = make_user(Role.ADMIN)
    sign_in(client, client.user)
    if lang:
        assert client.get(f"/lang/{lang}").status_code == 302
    return client


def text(client, path: str, **query: object) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, query_string=query)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_log_names_actions_objects_and_actors_in_chinese_by_default(app):
    need = make_need("claimed")
    member = need.claimed_by.members[0]
    found = rows(text(admin_client(app), "/admin/audit/"))
    claim = next(r for r in found if "认领了需求" in r)
    assert f"需求 #{need.id}" in claim and member.email in claim and "组织成员" in claim
    assert "状态: 待认领 → 已认领" in claim and f"组织: {need.claimed_by.name}" in claim
    assert not any("need.claim" in r or re.search(r"\busers \d", r) or "{" in r for r in found)


def test_the_log_reads_in_english_after_the_language_switch(app):
    need = make_need("claimed")
    found = rows(text(admin_client(app, lang="en"), "/admin/audit/"))
    claim = next(r for r in found if "claimed the need" in r)
    assert f"Need #{need.id}" in claim and "Organisation member" in claim
    assert "Status: waiting for a claim → claimed" in claim
    assert any("published the need" in r and "Status: draft → waiting for a claim" in r for r in found)


def test_objects_and_actors_link_to_their_pages_and_the_links_open(app):
    need = make_need("published")
    staff = make_user(Role.STAFF)
    client = app.test_client()
    sign_in(client, staff)
    client.post(f"/staff/households/{need.household_id}")  # "show personal data": audited on the household
    admin = admin_client(app)
    page = text(admin, "/admin/audit/")
    hrefs = set(links(page))
    expected = {f"/staff/needs/{need.id}", f"/staff/households/{need.household_id}",
                f"/staff/referrals/{need.referral_id}", f"/admin/users/{staff.id}"}
    assert expected <= hrefs, hrefs
    for href in hrefs:
        assert admin.get(href).status_code == 200, href


def test_organisation_events_link_to_the_review_page(app):
    org = make_org()
    admin = admin_client(app)
    page = text(admin, "/admin/audit/", object_type="organisations")
    approve = next(r for r in rows(page) if "批准了组织" in r)
    assert f"组织 #{org.id} {org.name}" in approve and "状态: 待审核 → 已通过" in approve
    assert f"/staff/organisations/{org.id}" in links(page)
    assert admin.get(f"/staff/organisations/{org.id}").status_code == 200


def test_the_change_list_shows_a_need_value_change_and_a_status_change_with_labels(app):
    need = make_need("draft")
    audit.record("need.replan", actor_label="system", obj=need, region_code=need.region_code,
                 before={"status": "expired", "value_fen": 150000},
                 after={"status": "published", "value_fen": 180000, "claim_deadline": "2026-12-01"})
    transitions.publish(need, actor=make_user(Role.ADMIN))
    db.session.commit()
    found = rows(text(admin_client(app), "/admin/audit/", object_type="needs"))
    assert any("金额: ¥1,500.00 → ¥1,800.00" in r and "认领截止日期: 2026年12月1日" in r for r in found), found
    assert any("发布了需求" in r and "状态: 草稿 → 待认领" in r for r in found), found
    created = next(r for r in found if "创建了需求" in r)
    assert "金额: ¥299.00" in created and "—" not in created  # a new need lists what it was given, not empty fields
    english = rows(text(admin_client(app, lang="en"), "/admin/audit/", object_type="needs"))
    assert any("Value: CN¥1,500.00 → CN¥1,800.00" in r and "Claim by: Dec 1, 2026" in r for r in english), english


def _options(page: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
    assert select, f"no <select name={name}>"
    return {v: htmllib.unescape(t) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1])}


def test_the_filters_are_choices_in_words(app):
    admin = admin_client(app)
    page = text(admin, "/admin/audit/")
    actions = _options(page, "action")
    assert actions["need.claim"] == "认领了需求" and actions["auth.login"] == "登录了系统"
    assert '<optgroup label="需求">' in page and actions["need."] == "全部：需求"
    assert _options(page, "object_type")["needs"] == "需求"
    assert _options(page, "actor")[str(admin.user.id)] == admin.user.display_name + " · " + admin.user.email
    assert _options(page, "region")["440104"] == "越秀区（全区）"
    assert 'type="date" name="since"' in page and 'type="date" name="until"' in page


def test_choosing_a_filter_narrows_the_list(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 3, 1, 4, tzinfo=UTC))
    early = make_need("published")  # in 越秀区 北京街道
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 6, 1, 4, tzinfo=UTC))
    other_staff = make_user(Role.ADMIN)
    late = make_need("claimed", staff=other_staff, household={"region_code": "440103", "street": ""})
    admin = admin_client(app)

    def listed(**query: object) -> list[str]:
        return rows(text(admin, "/admin/audit/", **query))

    claims = listed(action="need.claim")
    assert len(claims) == 1 and f"需求 #{late.id}" in claims[0]
    need_rows = listed(action="need.")
    assert need_rows and all("需求" in r for r in need_rows) and not any("登录了系统" in r for r in need_rows)
    by_actor = listed(actor=other_staff.id)
    assert by_actor and all(other_staff.email in r for r in by_actor)
    assert all(f"#{early.id} " not in r + " " for r in listed(object_type="needs", object_id=late.id))
    in_yuexiu = listed(region="440104")  # the district takes in its streets' events
    assert any(f"需求 #{early.id}" in r for r in in_yuexiu) and not any(f"需求 #{late.id}" in r for r in in_yuexiu)
    spring = listed(since="2026-02-01", until="2026-03-31")
    assert any(f"需求 #{early.id}" in r for r in spring) and not any(f"需求 #{late.id}" in r for r in spring)
    assert listed(since="2026-06-02") == [] or all("登录了系统" in r for r in listed(since="2026-06-02"))
    for junk in ({"action": "need.cl"}, {"object_type": "x' OR 1=1"}, {"region": "zzz"}, {"actor": "abc"}):
        assert len(listed(**junk)) == len(listed())  # a value the form does not offer filters nothing


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_export_holds_the_filtered_list_in_words_and_is_itself_recorded(app):
    need = make_need("claimed")
    make_org()
    admin = admin_client(app)
    listed = rows(text(admin, "/admin/audit/", action="need."))
    response = admin.get("/admin/audit/export.csv", query_string={"action": "need."})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *body = _csv(response)
    assert header == ["时间", "操作人", "角色", "操作", "对象", "变更内容", "IP 地址"]
    assert len(body) == len(listed) == 3  # created, published, claimed: newest first, as on the page
    assert [r[3] for r in body] == ["认领了需求", "发布了需求", "创建了需求"]
    assert all(f"需求 #{need.id}" in r[4] for r in body)
    assert "状态: 待认领 → 已认领" in body[0][5] and body[0][0] in listed[0]
    export = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert export.actor_id == admin.user.id and export.after == {"rows": 3, "action": "need."}
    shown = rows(text(admin, "/admin/audit/", action="audit."))
    assert "导出了操作日志" in shown[0] and "操作: 全部：需求" in shown[0] and "行数: 3" in shown[0]


def test_the_csv_export_is_refused_to_staff_and_members(app):
    make_need("published")
    for role in (Role.STAFF, Role.ORG_MEMBER):
        client = app.test_client()
        sign_in(client, make_user(role))
        assert client.get("/admin/audit/export.csv").status_code == 403
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.export")) is None


def test_an_export_too_large_for_one_file_asks_to_narrow_the_filters(app, monkeypatch):
    make_need("published")
    monkeypatch.setattr(audit, "EXPORT_LIMIT", 1)  # two need events match
    admin = admin_client(app, lang="en")
    response = admin.get("/admin/audit/export.csv", query_string={"action": "need."})
    assert response.status_code == 302 and "/admin/audit/" in response.headers["Location"]
    assert "narrow the filters" in text(admin, "/admin/audit/")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.export")) is None


def test_an_action_without_words_shows_its_raw_name_beside_rows_in_words(app):
    need = make_need("published")
    audit.record("legacy.renamed", actor_label="system", object_type="gadgets", object_id="7",
                 before={"odd": [1, 2]}, after={"odd": None})
    audit.record("legacy.renamed", actor_label="system", obj=need.household, after={"weird": {"x": 1}})
    db.session.commit()
    admin = admin_client(app)
    page = text(admin, "/admin/audit/")
    found = rows(page)
    assert any("legacy.renamed" in r and "gadgets #7" in r and "odd: [1, 2] → —" in r for r in found)
    assert any("发布了需求" in r for r in found)
    assert _options(page, "action")["legacy.renamed"] == "legacy.renamed" and '<optgroup label="其他操作">' in page
    staff = app.test_client()
    sign_in(staff, make_user(Role.STAFF))
    history = rows(text(staff, f"/staff/households/{need.household_id}"))
    assert any("legacy.renamed" in r for r in history) and any("发布了需求" in r for r in history)


def test_household_and_need_histories_read_in_words(app):
    need = make_need("claimed")
    staff = app.test_client()
    sign_in(staff, make_user(Role.STAFF))
    staff.post(f"/staff/households/{need.household_id}")  # show personal data, audited
    household = text(staff, f"/staff/households/{need.household_id}")
    found = rows(household)
    assert any("查看了困难家庭的个人信息" in r and f"家庭 #{need.household_id}" in r for r in found)
    assert any("认领了需求" in r and "状态: 待认领 → 已认领" in r for r in found)
    assert f"/staff/needs/{need.id}" in links(household)
    assert not any(h.startswith("/admin/") for h in links(household))  # staff may not open account pages
    need_page = rows(text(staff, f"/staff/needs/{need.id}"))
    assert any("发布了需求" in r and "状态: 草稿 → 待认领" in r for r in need_page)
    assert not any("need.publish" in r for r in need_page)
    for row in found + need_page:
        for value in PERSONAL:
            assert value not in row


@pytest.mark.parametrize("key", ["head_name", "phone", "id_number"])
def test_personal_fields_are_never_shown_even_if_a_row_held_one(app, key):
    need = make_need("published")
    audit.record("household.view_personal", actor_label="system", obj=need.household, after={key: PERSONAL[0]})
    db.session.commit()
    found = rows(text(admin_client(app), "/admin/audit/", object_type="households"))
    assert found and not any(PERSONAL[0] in r for r in found) and any("（不显示）" in r for r in found)


def test_a_project_history_reads_in_words(app):
    from tests.projects.support import make_project

    project = make_project("covered")
    staff = app.test_client()
    sign_in(staff, make_user(Role.STAFF))
    found = rows(text(staff, f"/staff/projects/{project.id}"))
    assert any("批准了改造方案" in r and "方案总额: ¥50,000.00" in r for r in found), found
    assert any("为项目认捐" in r and "类型: 资金" in r and "金额: ¥30,000.00" in r for r in found), found
    assert not any("project.plan_approved" in r for r in found)


def test_odd_old_rows_still_render(app):
    need = make_need("published")
    odd = [("users", "²"), ("users", "99999999999999"), ("organisations", "-3"), ("needs", "abc"), ("", "")]
    for object_type, object_id in odd:
        audit.record("need.publish", actor_label="", object_type=object_type, object_id=object_id,
                     before={"organisation_id": "abc", "region_code": 5, "value_fen": "x", "weekdays": "x"},
                     after={"organisation_id": 2**40, "claim_deadline": "not-a-date", "status": ["a"],
                            "actor_id": True})
    db.session.add(AuditEvent(action="x" * 60, object_type="households", object_id=str(need.household_id),
                              before=["not", "a", "dict"], after="text"))  # type: ignore[arg-type]
    db.session.commit()
    admin = admin_client(app)
    assert len(rows(text(admin, "/admin/audit/"))) >= len(odd) + 1
    assert admin.get("/admin/audit/export.csv").status_code == 200
    staff = app.test_client()
    sign_in(staff, make_user(Role.STAFF))
    assert any("x" * 60 in r for r in rows(text(staff, f"/staff/households/{need.household_id}")))
