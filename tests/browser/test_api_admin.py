"""The admin's API pages in a real browser: the documentation (zh and en) and a user's page fit a
360 px phone, and an API key is created, shown once, and revoked after a confirmation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests.browser.test_org_onboarding import assert_fits_phone, sign_in
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

ZH_TITLE = "善联转介接收 API"  # Shanlian referral intake API


def signed_in_admin(page: Page) -> None:
    """Sign the page in as a new admin."""
    email = make_user(Role.ADMIN).email
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)
    sign_in(page, email)


def test_api_docs_fit_a_phone_in_chinese_and_in_english(page: Page) -> None:
    """/api/v1/docs scrolls only vertically at 360 px: its JSON examples scroll in their own box."""
    signed_in_admin(page)
    page.goto("/api/v1/docs")
    assert_fits_phone(page)
    expect(page.locator("h1")).to_contain_text(ZH_TITLE)
    page.goto("/lang/en")
    page.goto("/api/v1/docs")
    assert_fits_phone(page)
    expect(page.locator("h1")).to_contain_text("Shanlian referral intake API")


def test_a_users_page_fits_a_phone_with_a_long_address(page: Page) -> None:
    """/admin/users/<id> of a long email address (the demo's are) wraps its heading at 360 px."""
    user_id = accounts.create_user("liang.xiaoming.yuexiu-district@minzheng.example.cn", PASSWORD, Role.STAFF,
                                   region_code="440104").id
    signed_in_admin(page)
    page.goto(f"/admin/users/{user_id}")
    assert_fits_phone(page)
    page.goto("/lang/en")
    page.goto(f"/admin/users/{user_id}")
    assert_fits_phone(page)


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it_after_a_question(page: Page) -> None:
    """API 来源系统 → 创建密钥 → the key on its page only → 吊销… → the question → 已吊销; at 360 px throughout."""
    signed_in_admin(page)
    page.goto("/admin/")
    page.click("main a[href$='/admin/api-sources/']")
    expect(page.locator("h1")).to_have_text("API 来源系统")
    page.fill("#source", "gz-assistance")
    assert_fits_phone(page)
    page.click("main form[action$='/keys/new'] button[type=submit]")

    expect(page.locator("h1")).to_have_text("为 gz-assistance 新建密钥")
    key = page.locator("#api-key").inner_text().strip()
    assert re.fullmatch(r"shl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key), key
    expect(page.locator("main")).to_contain_text(f"Authorization: Bearer {key}")
    expect(page.locator("main")).to_contain_text("只在本页显示这一次")
    assert page.evaluate("getComputedStyle(document.querySelector('#api-key')).userSelect") == "all"
    assert_fits_phone(page)

    page.click("main a.button[href$='/admin/api-sources/']")
    expect(page.locator("h1")).to_have_text("API 来源系统")
    row = page.locator("table.list tbody tr", has_text="gz-assistance")
    expect(row).to_contain_text(key[:12])
    assert key not in page.content()  # shown once: only the prefix from now on
    row.get_by_role("link", name="吊销…").click()

    expect(page.locator("h1")).to_contain_text(f"吊销 gz-assistance 的密钥 {key[:12]}")
    assert_fits_phone(page)
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text(f"已吊销 gz-assistance 的密钥：{key[:12]}")
    row = page.locator("table.list tbody tr", has_text="gz-assistance")
    expect(row).to_contain_text("吊销")  # 已于 … 吊销
    expect(row.get_by_role("link", name="吊销…")).to_have_count(0)
    response = page.request.get("/api/v1/referrals", headers={"Authorization": f"Bearer {key}"})
    assert response.status == 401
