"""A staff member's first sign-in with the second factor required, in a real browser: the password,
the enrolment page (its QR code and key drawn under the CSP, fitting a phone), the recovery codes,
then a later sign-in with a code from the app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from tests.accounts.support import Clock
from tests.browser.test_org_onboarding import SIGN_OUT, SUBMIT, assert_fits_phone, sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def required(app: Flask) -> Iterator[Clock]:
    """The factor required, as in production, on a clock the test moves."""
    app.config["REQUIRE_SECOND_FACTOR"] = True
    clock = Clock(app)
    yield clock
    app.config["REQUIRE_SECOND_FACTOR"] = False
    app.config.pop("CLOCK", None)


def test_first_sign_in_enrols_then_the_next_asks_for_a_code(app: Flask, page: Page, required: Clock,
                                                           server_errors: list[str]) -> None:
    staff = make_user(Role.STAFF)
    sign_in(page, staff.email)
    expect(page).to_have_url(re.compile(r"/account/second-factor/setup$"))
    expect(page.locator("svg.qr")).to_be_visible()
    assert page.locator("svg.qr").bounding_box()["width"] > 100  # drawn, not blocked by the CSP
    assert_fits_phone(page)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).at(required.moment))
    page.click(SUBMIT)
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    assert_fits_phone(page)
    page.click("a.button.primary")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    page.click(SIGN_OUT)

    required.advance(30)
    sign_in(page, staff.email)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.fill("#code", pyotp.TOTP(secret).at(required.moment))
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    assert not server_errors
