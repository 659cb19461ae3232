"""A member's notices in a real browser, at 360 px: the inbox shows an event's notice, its link
opens, and the settings page linked from the inbox turns one kind off (and fits the phone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.needs import transitions
from tests.browser.test_org_onboarding import PHONE_WIDTH, SUBMIT, assert_fits_phone, sign_in
from tests.conftest import make_need, make_user
from tests.notifications.support import recipients

pytestmark = pytest.mark.browser



def test_a_member_reads_a_notice_and_turns_a_kind_off(app: Flask, page: Page, screenshots: Path) -> None:
    need = make_need("delivered")
    member = need.claimed_by.members[0]
    staff = make_user(Role.STAFF, region="440104")
    transitions.reject(need, actor=staff, reason="照片看不清")
    db.session.commit()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    sign_in(page, member.email)
    page.goto("/notifications/")
    notice = page.locator("ul.inbox a", has_text="照片看不清")
    expect(notice).to_have_text("“一台电饭煲”的送达未被接受：照片看不清")
    assert_fits_phone(page)
    notice.click()
    expect(page).to_have_url(f"{page.url.split('/needs/')[0]}/needs/{need.id}")
    page.goto("/notifications/")
    page.click("main a[href$='/notifications/settings']")
    expect(page.locator("h1")).to_have_text("通知设置")
    assert_fits_phone(page)
    page.screenshot(path=str(screenshots / "notice-settings-360.png"), full_page=True)
    page.check("input[name=delivery_confirmed][value=off]")
    page.click(SUBMIT)
    expect(page.locator(".flash").first).to_contain_text("通知设置已保存")
    expect(page.locator("input[name=delivery_confirmed][value=off]")).to_be_checked()
    db.session.rollback()  # the test's own snapshot predates the browser's writes: start afresh
    need, member = db.session.merge(need), db.session.merge(member)
    transitions.deliver(need, actor=member)
    transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert member.id not in recipients("delivery_confirmed", need.id)
