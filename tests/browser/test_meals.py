"""Meals in a real browser at a 360 px phone: a resident books and sees the QR; the outlet's staff
sign in on their own phone and redeem it by the typed code; a second redemption is refused.

Handles are language-neutral (ids, `data-result`, `data-status`); the screenshots go to the
`screenshots` folder (docs/screenshots/ with `make screenshots`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from marketplace.extensions import db
from marketplace.meals import codes
from marketplace.meals.models import Voucher
from marketplace.meals.timing import at_local, local_date
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_org_onboarding import SUBMIT, assert_fits_phone, sign_in
from tests.conftest import PASSWORD
from tests.meals.support import Clock, approve_pledge, make_company, make_outlet, make_outlet_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
RESIDENT_PHONE = "138 0013 8000"


def shoot(page: Page, path: Path) -> None:
    """A full-page screenshot without a focus ring."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=path, full_page=True)


def test_resident_books_outlet_redeems_once(
    app: Flask, page: Page, browser: Browser, live_server: str, screenshots: Path, server_errors: list[str]
) -> None:
    """Book → QR and code on the phone → outlet types the code: 有效 (valid) → again: 已使用 (used)."""
    clock = Clock(app, at_local(local_date(at_local(date.today(), 12)), 12))
    try:
        outlet = make_outlet(make_company(name="广州粤味餐饮管理有限公司"), name="粤味茶餐厅（北京路店）")
        approve_pledge(outlet, meals=30, start=clock.today)
        counter_email = make_outlet_staff(outlet).email
        outlet_id = outlet.id
        db.session.commit()

        page.set_viewport_size(PHONE)
        page.goto("/meals/")
        expect(page.locator(".meal-card h2")).to_have_text("粤味茶餐厅（北京路店）")
        assert_fits_phone(page)
        shoot(page, screenshots / "meals-outlets.png")
        page.click(f".meal-card a[href$='/meals/outlets/{outlet_id}/book']")
        page.check("input[name=day] >> nth=0")
        page.fill("#phone", RESIDENT_PHONE)
        phone_box, code_box = page.locator("#phone").bounding_box(), page.locator("#eligibility_code").bounding_box()
        assert phone_box["height"] >= 40 and phone_box["height"] == code_box["height"]  # as big as the others
        assert page.locator("#phone").get_attribute("inputmode") == "tel"  # the phone keypad
        assert_fits_phone(page)
        page.click(SUBMIT)
        expect(page).to_have_url(re.compile(r"/meals/v/[\w-]+$"))
        expect(page.locator(".qr-box svg.qr")).to_be_visible()
        voucher_url = page.url
        shown = page.locator(".voucher .code").inner_text().strip()
        code = db.session.scalars(sa.select(Voucher.code)).one()
        db.session.rollback()
        assert codes.normalise(shown) == code
        assert_fits_phone(page)
        shoot(page, screenshots / "meals-voucher.png")

        counter = browser.new_context(locale="zh-CN", base_url=live_server, viewport=PHONE)
        counter.set_default_timeout(TIMEOUT_MS)
        till = counter.new_page()
        till.on("pageerror", lambda error: server_errors.append(f"page error: {error}"))
        sign_in(till, counter_email, PASSWORD)
        expect(till).to_have_url(re.compile(r"/outlet/$"))  # outlet staff land on the redeem screen
        expect(till.locator("h1")).to_have_text("粤味茶餐厅（北京路店）")
        till.fill("#code", shown.lower().replace("-", " "))
        # The page's script sends the code to the scanner's endpoint and answers in place.
        with till.expect_response(lambda r: r.url.endswith("/outlet/redeem") and r.status == 200):
            till.click("#redeem-form button[type=submit]")
        expect(till.locator(".verdict")).to_have_attribute("data-result", "valid")
        expect(till.locator("[data-count=redeemed]")).to_have_text("1")
        assert_fits_phone(till)
        shoot(till, screenshots / "meals-outlet-valid.png")

        till.fill("#code", shown)
        with till.expect_response(lambda r: r.url.endswith("/outlet/redeem") and r.status == 200):
            till.click("#redeem-form button[type=submit]")
        expect(till.locator(".verdict")).to_have_attribute("data-result", "used")
        expect(till.locator(".verdict p")).to_contain_text(clock.today.isoformat())
        expect(till.locator("[data-count=redeemed]")).to_have_text("1")
        assert_fits_phone(till)
        shoot(till, screenshots / "meals-outlet-used.png")
        counter.close()

        page.goto(voucher_url)
        expect(page.locator(".voucher")).to_have_attribute("data-status", "redeemed")
        expect(page.locator(".qr-box")).to_have_count(0)
        assert_fits_phone(page)
    finally:
        app.config.pop("CLOCK", None)
    assert not server_errors, "\n".join(server_errors)
