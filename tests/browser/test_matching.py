"""Matching in a real browser: an organisation states its capability, sees a recommendation with its
reasons and says one is not for it; staff route another need to it and it accepts the offer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.matching.models import NeedDismissal, Offer
from marketplace.needs.models import Need
from tests.browser.test_org_onboarding import SIGN_OUT, assert_fits_phone, sign_in
from tests.conftest import make_org, make_user
from tests.matching.conftest import BEIJING_STREET, placed_need

pytestmark = pytest.mark.browser


def _route_then_open_as_member(page: Page, org_name: str, member_email: str, title: str) -> None:
    """On a need's staff page: route it to `org_name` from the suggestions, sign out, then open the
    offer as the organisation's member from its home."""
    page.locator("#offers table.suggestions tr", has_text=org_name).locator("button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.click(SIGN_OUT)
    sign_in(page, member_email)
    page.goto("/org/")
    page.locator("#offers a", has_text=title).click()


def test_capability_recommendations_not_for_us_then_a_routed_offer_accepted(app: Flask, page: Page,
                                                                          server_errors: list[str]) -> None:
    org = make_org(name="北京街道康复服务队")
    member = org.members[0]
    staff = make_user(Role.STAFF, region="440104")
    dismissed = placed_need(category="rehab_nursing", waited_days=9, title="康复护理上门一")
    routed = placed_need(category="rehab_nursing", waited_days=4, title="康复护理上门二")

    sign_in(page, member.email)
    page.goto("/org/capability")
    page.check("input[name=categories][value=rehab_nursing]")
    page.uncheck("input[name=categories][value=daily_living]")
    page.select_option("#regions", [BEIJING_STREET])
    page.fill("#capacity_open", "5")
    page.fill("#value_max", "1000")
    assert_fits_phone(page)
    page.click("form button[type=submit].primary")
    expect(page.locator(".flash-success")).to_be_visible()
    first = page.locator("#recommended li").first
    expect(first).to_contain_text("康复护理上门一")
    expect(first.locator(".reasons")).to_contain_text("同街道")
    expect(first.locator(".reasons")).to_contain_text("已等待9天")
    assert_fits_phone(page)
    first.locator("button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#recommended")).not_to_contain_text("康复护理上门一")
    expect(page.locator("#recommended")).to_contain_text("康复护理上门二")
    db.session.rollback()  # end the test's read snapshot from before the browser's writes
    assert db.session.get(NeedDismissal, (org.id, dismissed.id)) is not None
    page.click(SIGN_OUT)

    sign_in(page, staff.email)
    page.goto(f"/staff/needs/{routed.id}")
    assert_fits_phone(page)
    _route_then_open_as_member(page, "北京街道康复服务队", member.email, "康复护理上门二")
    assert_fits_phone(page)
    page.locator("form[action$='/accept'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    db.session.rollback()
    need = db.session.get(Need, routed.id)
    assert need.status == "claimed" and need.claimed_by_id == org.id
    assert db.session.scalar(sa.select(Offer.status).where(Offer.need_id == routed.id)) == "accepted"
    assert server_errors == []


def test_staff_route_from_their_queue_and_the_organisation_accepts_part_of_a_need(
        app: Flask, page: Page, server_errors: list[str]) -> None:
    org = make_org(name="北京街道安全小组")
    member = org.members[0]
    staff = make_user(Role.STAFF, region="440104")
    need = placed_need(category="home_safety", waited_days=3, title="五套防滑垫")
    need.quantity, need.value_fen = 5, 5 * 8000
    db.session.commit()

    sign_in(page, staff.email)
    page.goto("/staff/")
    page.locator("#to_route a", has_text="五套防滑垫").click()  # the queue's "等待派单的需求"
    _route_then_open_as_member(page, "北京街道安全小组", member.email, "五套防滑垫")
    page.fill("form[action$='/accept'] input[name=quantity]", "2")
    assert_fits_phone(page)
    page.locator("form[action$='/accept'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    db.session.rollback()
    db.session.expire_all()
    taken = db.session.get(Need, need.id)
    assert (taken.status, taken.left, taken.claimed_by_id) == ("published", 3, None)
    assert [(c.organisation_id, c.quantity) for c in taken.parts] == [(org.id, 2)]
    page.goto(f"/needs/{need.id}")
    expect(page.locator("dl")).to_contain_text("已认领 2 / 5")
    assert server_errors == []
