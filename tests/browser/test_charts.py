"""Charts people read, in a real browser: the closure dashboard and a company's meal page at 1280
and 360 px. Each chart must be drawn (an <svg> inside the chart element), its axis labels at least
12 px on screen, the console free of errors and CSP violations, and the page no wider than a phone.

The figures are real ones: needs through the real transitions and the dashboard's recompute,
meals through real bookings and redemptions.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.dashboard.compute import compute_all
from marketplace.extensions import db
from marketplace.meals import redemption
from marketplace.meals.timing import at_local
from marketplace.needs.models import Need
from tests.browser.test_org_onboarding import assert_fits_phone, sign_in
from tests.conftest import make_need, make_user
from tests.meals.support import Clock, approve_pledge, book, make_company, make_outlet, make_outlet_staff, phone

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
MIN_PX = 12

# Every <text> of every chart's SVG: its font size as drawn, i.e. the computed size times the SVG's
# scale on screen (a viewBox wider than the element shrinks the text, as the old charts did).
TEXT_SIZES = """() => [...document.querySelectorAll(".chart svg, svg.chart")].flatMap((svg) => {
  const box = svg.viewBox && svg.viewBox.baseVal;
  const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
  return [...svg.querySelectorAll("text")]
    .filter((t) => t.textContent.trim() && getComputedStyle(t).display !== "none")
    .map((t) => ({text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) * scale}));
})"""


def watch_console(page: Page) -> list[str]:
    """Console errors and warnings (a CSP violation is reported as an error) and CSP events."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the site has no icon yet: the browser's own request, not this page's
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.add_init_script("""document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));""")
    return problems


def assert_charts_read(page: Page, count: int) -> None:
    """`count` charts drawn as SVG, each text at least 12 px on screen, the tables folded away."""
    charts = page.locator(".chart[data-chart]")
    expect(page.locator(".chart svg text, svg.chart text").first).to_be_attached()  # charts.js draws all at once
    sizes = page.evaluate(TEXT_SIZES)
    small = [s for s in sizes if s["px"] < MIN_PX]
    assert sizes and not small, f"chart text under {MIN_PX} px: {small[:5]}"
    expect(charts).to_have_count(count)
    for i in range(count):
        expect(charts.nth(i).locator("svg")).to_be_visible()
        expect(charts.nth(i).locator("svg text").first).to_be_attached()
    for i in range(count):  # the same figures stay one click away, folded once the chart is drawn
        figures = charts.nth(i).locator("xpath=following-sibling::details[1]")
        if figures.count():
            expect(figures).not_to_have_attribute("open", "")


def at_both_widths(page: Page, url: str, count: int, shot: Path) -> None:
    """Open `url` at 1280 px, check its charts, then at 360 px: charts redrawn, page fits the phone."""
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    assert_charts_read(page, count)
    page.screenshot(path=shot.with_name(shot.stem + "-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(url)
    assert_charts_read(page, count)
    assert_fits_phone(page)
    for i in range(count):  # drawn to the phone's width, not the desktop's
        box = page.locator(".chart[data-chart]").nth(i).locator("svg").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
    page.screenshot(path=shot.with_name(shot.stem + "-360.png"), full_page=True)


def _dashboard_figures() -> None:
    """Needs in several categories and weeks, some closed, one overdue; figures recomputed."""
    staff = make_user(Role.ADMIN)
    needs = [make_need("closed", staff=staff), make_need("closed", staff=staff), make_need("published", staff=staff),
             make_need("claimed", staff=staff), make_need("published", staff=staff, household={"street": "洪桥街道"})]
    now = clock.now()
    moves = [("meals", 20, 6), ("medical_escort", 13, 2), ("rehab_nursing", 9, None), ("meals", 4, None),
             ("daily_living", 30, None)]
    for need, (category, published_days_ago, closed_days_ago) in zip(needs, moves, strict=True):
        values: dict[str, object] = {"category": category, "published_at": now - timedelta(days=published_days_ago)}
        if closed_days_ago is not None:
            values["closed_at"] = now - timedelta(days=closed_days_ago)
        db.session.execute(sa.update(Need).where(Need.id == need.id).values(**values))
    compute_all(now)
    db.session.commit()


def test_dashboard_charts_read_at_desktop_and_phone(app: Flask, page: Page, screenshots: Path,
                                                     server_errors: list[str]) -> None:
    """The district dashboard: trend, categories and the streets' lights, drawn and readable."""
    _dashboard_figures()
    staff = make_user(Role.STAFF, region="440104")
    db.session.commit()
    problems = watch_console(page)
    sign_in(page, staff.email)
    at_both_widths(page, "/staff/dashboard/", 3, screenshots / "dashboard.png")
    trend = page.locator("#chart-trend svg")
    monday = clock.today() - timedelta(days=clock.today().weekday())
    expect(trend).to_contain_text(monday.strftime("%m-%d"))  # weeks by their Monday, not "-11 … 本周"
    expect(trend).to_contain_text("周起始日")  # named axes: "Week starting" …
    expect(trend).to_contain_text("需求")  # … and "Needs"
    expect(page.locator("#chart-categories svg")).to_contain_text("助餐")  # categories in words
    page.locator("#chart-trend").hover()  # the tooltip draws inside the SVG, without inline styles
    expect(trend).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d"))  # the tooltip: its week's full date
    assert not problems, "\n".join(problems)
    assert not server_errors


def test_company_meals_chart_reads_at_desktop_and_phone(app: Flask, page: Page, screenshots: Path,
                                                        server_errors: list[str]) -> None:
    """A company's meal page: booked, redeemed and pledged per day, drawn and readable, with exports."""
    fixed = Clock(app, at_local(clock.today(), 12))  # lunch time: bookings and redemptions are open
    try:
        company = make_company(name="广州粤味餐饮管理有限公司")
        outlet = make_outlet(company, name="粤味茶餐厅（北京路店）")
        approve_pledge(outlet, meals=12, start=fixed.today - timedelta(days=3), days=10)
        counter = make_outlet_staff(outlet)
        for n in range(5):
            booking = book(outlet, phone(n), fixed)
            if n < 3:
                redemption.redeem(booking.voucher.code, counter=counter, now=fixed.moment)
        db.session.commit()
        member_email = company.members[0].email
        problems = watch_console(page)
        sign_in(page, member_email)
        at_both_widths(page, "/org/meals/", 1, screenshots / "company-meals.png")
        expect(page.locator("#chart-meals svg")).to_contain_text(fixed.today.strftime("%m-%d"))
        expect(page.locator("a[href$='/org/meals/export.csv']")).to_be_visible()
        assert not problems, "\n".join(problems)
        assert not server_errors
    finally:
        app.config.pop("CLOCK", None)
