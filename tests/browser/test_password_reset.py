"""A forgotten password in a real browser: sign-in page → "forgot" → the emailed link → a new password
→ signed in with it. The link then no longer works."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests.accounts.password_support import LINK, body, mailbox
from tests.browser.test_org_onboarding import SUBMIT, assert_fits_phone, sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser

NEW = "purple-tram-ticket-88"


def test_forgot_password_email_link_new_password_sign_in(app: Flask, page: Page, server_errors: list[str]) -> None:
    """忘记密码？ → the same answer for everyone → the link from the email → 设置新密码 → signed in."""
    email = make_user(Role.STAFF, region="440104").email
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)
    with mailbox(app) as box:
        page.goto("/login")
        page.click("a[href$='/password/forgot']")
        page.fill("#email", email)
        assert_fits_phone(page)
        page.click(SUBMIT)
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.locator(".flash-info")).to_contain_text("如果该邮箱已注册账号")
        [mail] = box.to(email)
    link = LINK.search(body(mail)).group(0)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("设置新密码")
    page.fill("#password", "password123")  # refused on the field, in Chinese
    page.fill("#confirm", "password123")
    page.click(SUBMIT)
    expect(page.locator("#password-error")).to_contain_text("太常见")
    page.fill("#password", NEW)
    page.fill("#confirm", NEW)
    assert_fits_phone(page)
    page.click(SUBMIT)
    expect(page.locator(".flash-success")).to_contain_text("新密码已设置")

    sign_in(page, email, NEW)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    page.goto(link)
    expect(page.locator("h1")).to_have_text("此链接已失效")
    assert not server_errors, "\n".join(server_errors)
