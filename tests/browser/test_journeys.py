"""A day of each role on the demo, in Chromium, on a 360 px phone and a 1280 px screen.

Staff start at the work queue and work their lists (filter, sort, export, lights that say why);
the admin makes and revokes an API key; an organisation reads its notices and chooses how it hears
of them; an outlet's staff land on the redeem screen; a resident books a meal, is sent back to it
when booking twice, finds it by phone number alone, and cancels it after a question. The pictures
go to the `screenshots` folder (docs/screenshots/ with `make screenshots`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_org_onboarding import SUBMIT, assert_fits_phone
from tests.conftest import load_demo

pytestmark = pytest.mark.browser

WIDTHS = (360, 1280)


@pytest.fixture
def demo_server(app: Flask, live_server: str, database_url: str) -> str:
    if database_url.startswith("postgresql"):
        # What the journeys check is on the page; each step's writes are tested on both databases
        # by the feature's own tests (tests/meals, tests/api, tests/notifications, tests/needs).
        pytest.skip("journeys check pages, which do not differ by database; their writes are tested on "
                    "PostgreSQL by tests/meals, tests/api, tests/notifications and tests/needs")
    load_demo(app)
    return live_server


def _each_width(browser: Browser, base: str, server_errors: list[str], email: str,
                journey: Callable[[Page, int], None]) -> None:
    """Run `journey` in a fresh signed-in (or anonymous) context at each width."""
    for width in WIDTHS:
        context = browser.new_context(locale="zh-CN", base_url=base, viewport={"width": width, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        tab.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        tab.on("pageerror", lambda error: server_errors.append(f"page error: {error}"))
        if email:
            tab.goto("/login")
            tab.fill("#email", email)
            tab.fill("#password", DEMO_PASSWORD)
            tab.click(SUBMIT)
        journey(tab, width)
        context.close()
    assert not server_errors, "\n".join(server_errors)


def _shoot(page: Page, shots: Path, name: str, width: int) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)


def _fits(page: Page, width: int) -> None:
    if width == 360:
        assert_fits_phone(page)


def test_a_caseworkers_day(browser: Browser, demo_server: str, server_errors: list[str], screenshots: Path) -> None:
    def journey(page: Page, width: int) -> None:
        expect(page).to_have_url(re.compile(r"/staff/$"))  # the day starts at the work queue
        items = page.locator(".queue-section ol.work li a")
        expect(items.first).to_be_visible()
        assert items.count() >= 3  # the queue shows the work itself, with links
        _fits(page, width)
        _shoot(page, screenshots, "staff-queue", width)
        first = items.first.get_attribute("href")
        page.goto(first)
        expect(page.locator("h1")).to_be_visible()

        page.click("nav a[href='/staff/needs/']")
        page.select_option("select[name=status]", "published")
        page.click("form.filters button[type=submit]")
        expect(page).to_have_url(re.compile(r"status=published"))
        page.click("thead th a[href*='sort=value']")
        expect(page.locator("th[aria-sort=ascending]")).to_contain_text("金额 ▲")
        assert "status=published" in page.url  # sorting keeps the filter
        export = page.locator(".exports a").first.get_attribute("href")
        assert export.startswith("/staff/needs/export.csv") and "status=published" in export
        expect(page.locator("td .light").first).to_contain_text("天")  # a light says why: 等待认领N天
        _fits(page, width)
        _shoot(page, screenshots, "staff-needs", width)

        for link in ("/staff/projects/", "/staff/leaderboards"):  # every page reachable from the menu
            page.click(f"nav a[href='{link}']")
            expect(page).to_have_url(re.compile(re.escape(link)))
            _fits(page, width)

    _each_width(browser, demo_server, server_errors, "yuexiu@shanlian.demo", journey)


def test_an_admins_day(browser: Browser, demo_server: str, server_errors: list[str], screenshots: Path) -> None:
    def journey(page: Page, width: int) -> None:
        expect(page.locator("nav a[href='/admin/']")).to_be_visible()
        page.click("nav a[href='/admin/']")
        page.click("main a[href$='/admin/api-sources/']")
        source = f"journey-{width}"
        page.fill("#source", source)
        page.click("main form[action$='/keys/new'] button[type=submit]")
        key = page.locator("#api-key").inner_text().strip()
        assert key.startswith("shl_")  # shown once, on this page
        _fits(page, width)
        _shoot(page, screenshots, "admin-api-key", width)
        page.click("main a.button[href$='/admin/api-sources/']")
        row = page.locator("table.list tbody tr", has_text=source)
        assert key not in page.content()  # never again: only its prefix
        row.get_by_role("link", name="吊销…").click()
        page.click(SUBMIT)
        expect(page.locator(".flash-success")).to_contain_text(key[:12])
        page.goto("/admin/audit/")
        expect(page.locator("table.list tbody tr").first).to_be_visible()  # the log reads in words
        _fits(page, width)

    _each_width(browser, demo_server, server_errors, "admin@shanlian.demo", journey)


def test_an_organisations_day(browser: Browser, demo_server: str, server_errors: list[str], screenshots: Path) -> None:
    def journey(page: Page, width: int) -> None:
        expect(page).to_have_url(re.compile(r"/org/$"))
        _fits(page, width)
        _shoot(page, screenshots, "org-home", width)
        page.click("nav a.bell")
        expect(page).to_have_url(re.compile(r"/notifications/$"))
        page.click("main a[href$='/notifications/settings']")
        choice = page.locator("fieldset.notice-choice").first
        choice.locator("input[value=digest]").check()
        page.click(SUBMIT)
        expect(page.locator("fieldset.notice-choice").first.locator("input[value=digest]")).to_be_checked()
        _fits(page, width)
        page.click("nav a[href='/needs']")
        expect(page.locator("h1")).to_be_visible()
        _fits(page, width)

    _each_width(browser, demo_server, server_errors, "org01@shanlian.demo", journey)


def test_an_outlets_day(browser: Browser, demo_server: str, server_errors: list[str], screenshots: Path) -> None:
    def journey(page: Page, width: int) -> None:
        expect(page).to_have_url(re.compile(r"/outlet/$"))  # straight to the redeem screen
        expect(page.locator("#code")).to_be_visible()
        _fits(page, width)
        _shoot(page, screenshots, "outlet-redeem", width)

    _each_width(browser, demo_server, server_errors, "outlet01@shanlian.demo", journey)


def test_a_residents_meal(browser: Browser, demo_server: str, server_errors: list[str], screenshots: Path) -> None:
    def journey(page: Page, width: int) -> None:
        phone = f"139 0000 {width:04d}"
        page.goto("/meals/")
        page.click(".meal-card a[href$='/book'] >> nth=0")
        booking = page.url
        page.check("input[name=day] >> nth=0")
        page.fill("#phone", phone)
        assert page.locator("#phone").get_attribute("inputmode") == "tel"
        assert page.locator("#phone").bounding_box()["height"] >= 40
        page.click(SUBMIT)
        expect(page).to_have_url(re.compile(r"/meals/v/[\w-]+$"))
        code = page.locator(".voucher .code").inner_text().strip()
        expect(page.locator(".qr-box figcaption, .qr-box .caption").first).to_be_visible()  # the QR has a label
        _fits(page, width)

        page.goto(booking)  # a second booking is refused, with the way back to the first
        page.check("input[name=day] >> nth=0")
        page.fill("#phone", phone)
        page.click(SUBMIT)
        page.click("form.already-booked button[type=submit]")
        expect(page.locator(".voucher .code")).to_have_text(code)  # the same meal

        page.goto("/meals/find")  # lost the page? the phone number alone brings it back
        page.fill("#phone", phone)
        page.click(SUBMIT)
        expect(page.locator(".voucher .code")).to_have_text(code)
        _shoot(page, screenshots, "resident-voucher", width)

        page.click("a[href$='/cancel']")
        expect(page.locator("h1")).to_have_text("确定退回这份餐吗？")  # it asks first
        _fits(page, width)
        page.click("main a.button.big")  # no, keep it
        expect(page.locator(".voucher")).not_to_have_attribute("data-status", "cancelled")
        page.click("a[href$='/cancel']")
        page.click(SUBMIT)
        expect(page.locator(".voucher")).to_have_attribute("data-status", "cancelled")

    _each_width(browser, demo_server, server_errors, "", journey)
