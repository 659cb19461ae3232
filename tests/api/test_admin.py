"""The admin side of the API: sources and keys page, documentation linked from the admin area."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.api import keys
from marketplace.api.models import ApiSource
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests.api.support import BASE, Api, make_key
from tests.conftest import referral_payload


def test_admin_page_lists_sources_key_prefixes_use_and_errors_never_a_key(app, as_role):
    key = make_key("assist-gz")
    revoked = make_key("assist-gz")
    keys.revoke("assist-gz", prefix=revoked[: keys.PREFIX_LENGTH])
    db.session.commit()
    make_key("other-system")
    api = Api(app.test_client(), key)
    api.post("/referrals", referral_payload())
    api.get("/referrals/nope")
    page = as_role(Role.ADMIN).get("/admin/api-sources/").get_data(as_text=True)
    assert "assist-gz" in page and "other-system" in page
    assert key[: keys.PREFIX_LENGTH] in page and revoked[: keys.PREFIX_LENGTH] in page
    assert key not in page and revoked not in page
    assert "<td>2</td>" in page and "<td>1</td>" in page  # requests and errors of assist-gz


def test_admin_area_links_the_sources_page_and_the_api_documentation(as_role):
    admin = as_role(Role.ADMIN)
    page = admin.get("/admin/").get_data(as_text=True)
    assert "/admin/api-sources/" in page and f"{BASE}/docs" in page
    admin.get("/lang/en")
    docs = admin.get(f"{BASE}/docs").get_data(as_text=True)
    for text in ("POST /api/v1/referrals/batch", "GET /api/v1/referrals/{external_id}", "Responses", "Household"):
        assert text in docs
    assert "北京街道" in docs  # the contract's example, readable


def test_docs_page_is_translated_chrome_around_the_document(client):
    page = client.get(f"{BASE}/docs").get_data(as_text=True)
    assert "createReferral" in page and "/api/v1/openapi.json" in page


# --- keys made and revoked in the admin pages ----------------------------------------------------

NEW_KEY = "/admin/api-sources/keys/new"
KEY_IN_PAGE = re.compile(r"shl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def events(action: str) -> list[AuditEvent]:
    """The audit events of an action, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def revoke_url(source: str, prefix: str | None = None) -> str:
    """The confirmation page of revoking a source's key (by prefix) or all its keys."""
    source_id = keys.get_source(source).id
    return f"/admin/api-sources/{source_id}/revoke" + (f"?prefix={prefix}" if prefix else "")


def test_admin_creates_a_key_for_a_new_source_shown_once_on_a_page_no_cache_keeps(app, as_role):
    admin = as_role(Role.ADMIN)
    response = admin.post(NEW_KEY, data={"source": " gz-assistance "})
    assert response.status_code == 200  # the answer itself: no redirect, so the key is in no URL
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [key] = set(KEY_IN_PAGE.findall(page))
    assert f"Authorization: Bearer {key}" in page and "/api/v1/docs" in page  # how to use it
    with admin.session_transaction() as session:
        assert key not in repr(dict(session))  # not in a flash either
    assert Api(app.test_client(), key).get("/referrals").status_code == 200
    # Afterwards only its prefix is readable: not on the sources page, not in the audit log.
    sources = admin.get("/admin/api-sources/").get_data(as_text=True)
    assert "gz-assistance" in sources and key[: keys.PREFIX_LENGTH] in sources and key not in sources
    [event] = events("api_key.create")
    assert event.actor_id == admin.user.id and event.after == {"source": "gz-assistance",
                                                               "prefix": key[: keys.PREFIX_LENGTH]}
    assert key not in repr(event.after)


def test_a_source_gets_another_key_from_its_row_and_both_work(app, as_role):
    first = make_key("gz-assistance")
    admin = as_role(Role.ADMIN)
    sources = admin.get("/admin/api-sources/").get_data(as_text=True)
    assert f'action="{NEW_KEY}"' in sources and 'name="source" value="gz-assistance"' in sources
    page = admin.post(NEW_KEY, data={"source": "gz-assistance"}).get_data(as_text=True)
    [second] = set(KEY_IN_PAGE.findall(page))
    assert second != first
    assert len(keys.get_source("gz-assistance").keys) == 2
    for key in (first, second):
        assert Api(app.test_client(), key).get("/referrals").status_code == 200


def test_a_bad_source_name_is_refused_on_the_field_in_chinese_and_in_english(as_role):
    admin = as_role(Role.ADMIN)
    for name in ("GZ Assistance", "staff", "x", ""):
        page = admin.post(NEW_KEY, data={"source": name}).get_data(as_text=True)
        assert 'id="source-error"' in page and "来源系统名称须为 2 至 60 个字符" in page, name
        assert not KEY_IN_PAGE.search(page)
    admin.get("/lang/en")
    page = admin.post(NEW_KEY, data={"source": "GZ Assistance"}).get_data(as_text=True)
    assert 'id="source-error"' in page and "A source name is 2 to 60 characters of a-z, 0-9" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiSource)) == 0


def test_the_sources_page_no_longer_sends_admins_to_the_shell(as_role):
    page = as_role(Role.ADMIN).get("/admin/api-sources/").get_data(as_text=True)
    assert "flask api-key" not in page
    assert f'action="{NEW_KEY}"' in page and 'name="source"' in page


def test_revoking_one_key_asks_first_then_revokes_only_it(app, as_role):
    keep, drop = make_key("gz-assistance"), make_key("gz-assistance")
    admin = as_role(Role.ADMIN)
    confirm = revoke_url("gz-assistance", drop[: keys.PREFIX_LENGTH])
    sources = admin.get("/admin/api-sources/").get_data(as_text=True)
    assert html.escape(confirm) in sources  # a link to the question, not a form that revokes at once
    assert not re.search(r'action="[^"]*/revoke"', sources)
    page = admin.get(confirm).get_data(as_text=True)
    assert drop[: keys.PREFIX_LENGTH] in page and keep[: keys.PREFIX_LENGTH] not in page
    assert "吊销该密钥" in page and "无法撤销" in page
    assert Api(app.test_client(), drop).get("/referrals").status_code == 200  # asking revoked nothing
    response = admin.post(confirm.split("?")[0], data={"prefix": drop[: keys.PREFIX_LENGTH]})
    assert response.status_code == 302
    assert Api(app.test_client(), drop).get("/referrals").status_code == 401
    assert Api(app.test_client(), keep).get("/referrals").status_code == 200
    [event] = events("api_key.revoke")
    assert event.actor_id == admin.user.id and event.after["prefix"] == drop[: keys.PREFIX_LENGTH]
    assert "已吊销 gz-assistance 的密钥" in admin.get("/admin/api-sources/").get_data(as_text=True)


def test_revoking_all_of_a_sources_keys_asks_first_then_revokes_them_all(app, as_role):
    first, second = make_key("gz-assistance"), make_key("gz-assistance")
    other = make_key("other-system")
    admin = as_role(Role.ADMIN)
    admin.get("/lang/en")
    assert html.escape(revoke_url("gz-assistance")) in admin.get("/admin/api-sources/").get_data(as_text=True)
    page = admin.get(revoke_url("gz-assistance")).get_data(as_text=True)
    assert first[: keys.PREFIX_LENGTH] in page and second[: keys.PREFIX_LENGTH] in page
    assert "Revoke all 2 keys" in page and "cannot be undone" in page
    admin.post(revoke_url("gz-assistance"), data={"prefix": ""})
    for key, status in ((first, 401), (second, 401), (other, 200)):
        assert Api(app.test_client(), key).get("/referrals").status_code == status
    assert len(events("api_key.revoke")) == 2
    # Nothing left to revoke: the question is not asked again.
    response = admin.get(revoke_url("gz-assistance"))
    assert response.status_code == 302
    assert "gz-assistance has no active key." in admin.get("/admin/api-sources/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.STAFF, Role.ORG_MEMBER, Role.OUTLET_STAFF])
def test_only_admins_create_and_revoke_keys(app, as_role, role):
    key = make_key("gz-assistance")
    client = as_role(role)
    confirm = revoke_url("gz-assistance")
    assert client.get(NEW_KEY).status_code == 403
    assert client.post(NEW_KEY, data={"source": "sneaky"}).status_code == 403
    assert client.get(confirm).status_code == 403
    assert client.post(confirm, data={"prefix": ""}).status_code == 403
    assert keys.get_source("sneaky") is None
    assert Api(app.test_client(), key).get("/referrals").status_code == 200


def test_the_cli_still_creates_and_says_why_it_refuses(app):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["api-key", "create", "GZ Assistance"])
    assert refused.exit_code == 1 and "2 至 60 个字符" in refused.output  # the default language's words
    assert runner.invoke(args=["api-key", "revoke", "nobody"]).output.strip().endswith("没有名为“nobody”的来源系统。")
    created = runner.invoke(args=["api-key", "create", "gz-assistance"])
    assert created.exit_code == 0 and KEY_IN_PAGE.fullmatch(created.output.strip().splitlines()[-1])
