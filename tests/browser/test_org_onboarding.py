"""An organisation's whole onboarding in a real browser: register, staff approve, member sees it.

Chinese first (the default language), then the same status page in English; every page it opens
must also fit a 360 px wide phone without sideways scrolling.
The screenshots it saves in docs/screenshots/ are the README's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.organisations import credit_code
from marketplace.organisations.models import Organisation
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

ORG_NAME = "越秀区长者关爱服务中心"
MEMBER_EMAIL = "chen.xiaoli@yuexiu-care.example.cn"
PHONE_WIDTH = 360

# What the zh_Hans catalog shows (marketplace/translations/zh_Hans/LC_MESSAGES/messages.po).
ZH = {
    "register": "组织注册",  # Register an organisation
    "applied": "申请已提交",  # Thank you. Your application is with the civil-affairs staff; ...
    "work_queue": "工作台",  # Work queue
    "organisations": "组织",  # Organisations (the staff menu)
    "pending": "待审核",  # pending review
    "decision_saved": "审核结果已保存",  # Decision saved: %(name)s is now %(status)s.
    "approved": "已通过",  # approved
    "sign_out": "退出登录",  # Sign out
    "signed_out": "您已退出登录",  # You have signed out.
    "is_approved": "贵组织已通过审核",  # Your organisation is approved: you can claim and fulfil needs.
}

# Language-neutral handles; what the reader sees is asserted separately, in each language.
SUBMIT = "main form[method=post] button[type=submit]"
SIGN_OUT = "header form[action$='/logout'] button[type=submit]"
ORGANISATIONS_LINK = "header nav a[href$='/staff/organisations']"
# The innermost elements whose right edge passes the edge of the screen, to say what to fix.
WIDER_THAN = """(limit) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > limit)
  .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > limit))
  .slice(0, 5)
  .map((el) => `<${el.tagName.toLowerCase()}> "${el.textContent.trim().slice(0, 30)}"`)"""


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click(SUBMIT)


def register(page: Page, screenshots: Path) -> None:
    """Fill in every field of the registration form and send it."""
    page.goto("/org/register")
    expect(page.locator("h1")).to_have_text(ZH["register"])
    page.fill("#name", ORG_NAME)
    page.select_option("#kind", "charity")
    page.fill("#credit_code", credit_code.make("53440104MA" + "0001234"))
    page.fill("#description", "为越秀区独居长者提供上门探访和助餐服务。")
    page.select_option("#regions", ["440104"])  # 越秀区, the whole district
    page.check("input[name=categories][value=visit]")
    page.check("input[name=categories][value=meals]")
    page.fill("#contact_name", "陈晓丽")
    page.fill("#contact_phone", "020-83330000")
    page.fill("#contact_email", "contact@yuexiu-care.example.cn")
    page.fill("#member_email", MEMBER_EMAIL)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    assert_fits_phone(page)
    page.screenshot(path=screenshots / "register.png", full_page=True)
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash-success")).to_contain_text(ZH["applied"])


def approve(page: Page, staff_email: str, screenshots: Path) -> None:
    """The staff member finds the application through the menu and approves it."""
    sign_in(page, staff_email)
    expect(page.locator("h1")).to_have_text(ZH["work_queue"])
    expect(page.locator(ORGANISATIONS_LINK)).to_have_text(ZH["organisations"])
    page.click(ORGANISATIONS_LINK)
    row = page.locator("table.list tbody tr", has_text=ORG_NAME)
    expect(row.locator(".status")).to_have_text(ZH["pending"])
    assert_fits_phone(page)
    row.get_by_role("link", name=ORG_NAME).click()
    expect(page.locator("h1")).to_have_text(ORG_NAME)
    expect(page.locator("dl.details")).to_contain_text("越秀区")
    page.select_option("#decision", "approve")
    assert_fits_phone(page)
    page.screenshot(path=screenshots / "staff-review.png", full_page=True)
    page.click(SUBMIT)
    expect(page.locator(".flash-success")).to_contain_text(ZH["decision_saved"])
    expect(page.locator(".flash-success")).to_contain_text(ORG_NAME)
    expect(page.locator(".flash-success")).to_contain_text(ZH["approved"])
    page.select_option("select[name=status]", "approved")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.list tbody tr", has_text=ORG_NAME).locator(".status")).to_have_text(ZH["approved"])
    expect(page.locator(SIGN_OUT)).to_have_text(ZH["sign_out"])
    page.click(SIGN_OUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)
    expect(page.locator(".flash-info")).to_contain_text(ZH["signed_out"])


def assert_fits_phone(page: Page) -> None:
    """At 360 px the page scrolls only vertically."""
    size = page.viewport_size
    # A click that navigates returns before the next document exists: measure the page it opened.
    page.wait_for_load_state()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        wide = page.evaluate(WIDER_THAN, PHONE_WIDTH)
        pytest.fail(f"{page.url} is {width}px wide at {PHONE_WIDTH}px; elements past the edge: {wide}")
    page.set_viewport_size(size)


def test_organisation_registers_is_approved_and_sees_it(
    app: Flask, page: Page, screenshots: Path, server_errors: list[str]
) -> None:
    """Register → staff approve → the member sees 已通过, then "approved" after switching to English."""
    staff = make_user(Role.STAFF, region="440104")
    staff_email, staff_id = staff.email, staff.id
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)

    register(page, screenshots)
    approve(page, staff_email, screenshots)

    sign_in(page, MEMBER_EMAIL)
    expect(page).to_have_url(re.compile(r"/org/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_have_text(ORG_NAME)
    expect(page.locator(".status")).to_have_text(ZH["approved"])
    expect(page.locator("main")).to_contain_text(ZH["is_approved"])
    assert_fits_phone(page)
    page.screenshot(path=screenshots / "org-approved-zh.png", full_page=True)

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/org/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(ORG_NAME)
    expect(page.locator(".status")).to_have_text("approved")
    expect(page.locator("main")).to_contain_text("Your organisation is approved")
    assert_fits_phone(page)
    page.screenshot(path=screenshots / "org-approved-en.png", full_page=True)

    org = db.session.scalars(sa.select(Organisation)).one()
    assert (org.name, org.status, org.reviewed_by_id) == (ORG_NAME, "approved", staff_id)
    db.session.rollback()
    assert not server_errors, "\n".join(server_errors)
