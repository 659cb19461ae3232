"""A caseworker on a phone (360 px): opens the visits due, records a visit that found a need (the
draft need exists), then records a follow-up of a closed need. Every page fits the phone and 1280 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.visits import plans
from marketplace.visits.models import FollowUp, Visit, VisitPlan
from tests.browser.test_org_onboarding import assert_fits_phone, sign_in
from tests.browser.test_wish_loop import shoot
from tests.conftest import make_need, make_user

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def _fits_both(page: Page) -> None:
    assert_fits_phone(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.set_viewport_size(PHONE)


def test_caseworker_records_a_visit_that_found_a_need_and_a_follow_up(
    app: Flask, page: Page, server_errors: list[str], screenshots: Path
) -> None:
    visited = make_need("draft")
    closed = make_need("closed")
    now = clock.now()
    plans.sync(now)
    db.session.execute(sa.update(VisitPlan).where(VisitPlan.household_id == visited.household_id)
                       .values(started_at=now - timedelta(days=60)))  # never visited: past the grace
    db.session.execute(sa.update(Need).where(Need.id == closed.id).values(closed_at=now - timedelta(days=20)))
    caseworker = make_user(Role.STAFF, region="440104003")
    db.session.commit()
    household_id, closed_id = visited.household_id, closed.id

    page.set_viewport_size(PHONE)
    sign_in(page, caseworker.email)
    page.goto("/staff/")
    expect(page.locator("#visits")).to_be_visible()
    page.goto("/staff/visits/due")
    expect(page.locator(".light-red").first).to_be_visible()
    shoot(page, screenshots / "visits-due-360.png")
    _fits_both(page)
    page.click(f"a[href$='/staff/visits/households/{household_id}/new']")
    _fits_both(page)
    page.fill("#visitors", "黄社工、居委会李主任")
    page.check("#met-0")
    page.fill("#seen", "冰箱漏水，老人独居，饭菜无法保存。")
    page.check("#found_need")
    page.select_option("#category", "daily_living")
    page.fill("#title", "一台小冰箱")
    page.fill("#story", "独居长者，冰箱漏水已无法使用，夏天饭菜难以保存。")
    page.fill("#value_yuan", "900")
    shoot(page, screenshots / "visit-record-360.png")
    page.click("form.visit-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    assert page.url.endswith(f"/staff/visits/households/{household_id}")
    expect(page.locator("ol.visits")).to_contain_text("一台小冰箱")
    _fits_both(page)

    db.session.rollback()
    visit = db.session.scalar(sa.select(Visit).where(Visit.household_id == household_id))
    need = db.session.get(Need, visit.need_id)
    assert (need.status, need.title, need.household_id) == ("draft", "一台小冰箱", household_id)

    page.goto("/staff/follow-ups/")
    _fits_both(page)
    page.click(f"a[href$='/staff/follow-ups/needs/{closed_id}']")
    page.check("#reached-0")
    page.check("#solved-0")
    page.check("#satisfaction-4")
    page.fill("#comments", "老人说电饭煲很好用。")
    page.click("form.visit-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".followup-done")).to_contain_text("5/5")
    _fits_both(page)
    db.session.rollback()
    row = db.session.scalar(sa.select(FollowUp).where(FollowUp.need_id == closed_id))
    assert (row.reached, row.solved, row.satisfaction) == (True, True, 5)
    assert not server_errors
