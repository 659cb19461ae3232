"""Community leads and transfers in a real browser (Chinese, the default language).

A member of the public, on a 360 px phone, follows the footer's link and reports a household; the
street's staff find the lead in their work queue, open its contacts and make it a referral. Staff
then transfer a need to a department and record the department's answer. Every page visited fits
a 360 px screen and is also used at 1280 px.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.leads.models import Lead
from marketplace.needs.models import Need
from marketplace.regions.models import Region
from marketplace.transfers import service as transfers
from marketplace.transfers.models import Department, Transfer
from tests.browser.test_org_onboarding import SIGN_OUT, assert_fits_phone, sign_in
from tests.browser.test_wish_loop import zh
from tests.conftest import make_need, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
DESCRIPTION = "楼下独居的陈伯八十多岁，最近摔过一跤，家里漏水没人修。"
CONTACT = "北京路某巷3号三楼，电话13900001111"
ANSWER = "残联已评估，将于下周配发轮椅。"


def _street() -> str:
    return db.session.scalar(sa.select(Region.code).where(Region.name == "北京街道", Region.parent_code == "440104"))


def test_the_public_reports_a_lead_at_360px_and_staff_make_it_a_referral(app: Flask, page: Page) -> None:
    staff = make_user(Role.STAFF, region="440104")
    street = _street()
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.click("footer a[href$='/leads/new']")
    expect(page.locator("h1")).to_have_text(zh("Report a household that may need help"))
    expect(page.locator("#privacy")).to_be_visible()
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()  # the honeypot: not for people
    assert_fits_phone(page)
    page.select_option("#street_code", street)
    page.fill("#description", DESCRIPTION)
    page.fill("#household_contact", CONTACT)
    page.click("form button.primary")
    expect(page.locator("h1")).to_have_text(zh("Thank you"))
    assert_fits_phone(page)
    db.session.rollback()
    lead = db.session.scalars(sa.select(Lead)).one()
    assert lead.reporter_kind == "public" and lead.household_contact == CONTACT

    sign_in(page, staff.email)
    page.goto("/staff/")
    page.click(f"#leads a[href$='/staff/leads/{lead.id}']")
    expect(page.locator("h1")).to_have_text(zh("Lead #%(n)s", n=lead.id))
    assert CONTACT not in page.content()
    assert_fits_phone(page)
    show = zh("Show the contact details (logged)")
    page.click(f"form button:has-text('{show}')")
    expect(page.locator(".personal")).to_contain_text(CONTACT)
    page.click(f"a[href$='/staff/leads/{lead.id}/refer']")
    assert_fits_phone(page)
    expect(page.locator("#description")).to_have_value(DESCRIPTION)
    page.select_option("#category", "dibao")
    page.select_option("#group", "elderly_special_difficulty")
    page.select_option("#street_code", street)
    page.fill("#members", "1")
    page.fill("#head_name", "陈伯")
    page.select_option("#need_kind", "service")
    page.select_option("#need_category", "home_safety")
    page.fill("#title", "修补漏水屋顶")
    page.fill("#value_yuan", "800")
    page.click("form button.primary")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#lead")).to_contain_text(zh("Made from a community lead"))
    assert_fits_phone(page)
    db.session.rollback()
    lead = db.session.get(Lead, lead.id)
    assert lead.status == "referred"
    referral = db.session.get(Referral, lead.referral_id)
    assert referral.source == "lead" and page.url.endswith(f"/staff/referrals/{referral.id}")
    page.set_viewport_size(DESKTOP)
    page.goto(f"/staff/leads/{lead.id}")
    expect(page.locator("#chain")).to_contain_text("修补漏水屋顶")
    page.click(SIGN_OUT)


def test_staff_transfer_a_need_and_record_the_answer(app: Flask, page: Page) -> None:
    transfers.ensure_default_departments()
    db.session.commit()
    need = make_need("published")
    staff = make_user(Role.STAFF, region="440104")
    disabled = db.session.scalar(sa.select(Department.id).where(Department.name == "残联"))
    sign_in(page, staff.email)
    page.set_viewport_size(PHONE)
    page.goto(f"/staff/needs/{need.id}")
    page.click(f"#transfers a[href$='/staff/transfers/new/need/{need.id}']")
    assert_fits_phone(page)
    page.select_option("#department_id", str(disabled))
    page.fill("#due_on", (clock.today() + timedelta(days=7)).isoformat())
    page.fill("#note", "请残联评估是否可配发轮椅。")
    page.click("form button.primary")
    expect(page.locator(".flash-success")).to_be_visible()
    assert_fits_phone(page)
    db.session.rollback()
    transfer = db.session.scalars(sa.select(Transfer)).one()
    assert page.url.endswith(f"/staff/transfers/{transfer.id}")
    assert db.session.get(Need, need.id).status == "draft"

    page.set_viewport_size(DESKTOP)
    page.goto("/staff/transfers/")
    page.click(f"a[href$='/staff/transfers/{transfer.id}']")
    page.select_option("#outcome", "taken_over")
    page.fill("#answer", ANSWER)
    page.click("form button.primary")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main, body").first).to_contain_text(ANSWER)
    assert_fits_phone(page)
    db.session.rollback()
    assert db.session.get(Transfer, transfer.id).status == "answered"
    assert db.session.get(Need, need.id).status == "cancelled"
    page.goto("/staff/dashboard/")
    expect(page.locator("#transfers")).to_contain_text(zh("answered"))
    assert_fits_phone(page)
