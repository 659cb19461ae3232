"""One household, one file, in a real browser: staff open the likely duplicates, merge a pair, and the
merged household's old address leads to the kept one (360 px and 1280 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households.models import Household
from tests.browser.test_org_onboarding import PHONE_WIDTH, assert_fits_phone, sign_in
from tests.conftest import make_need, make_user

pytestmark = pytest.mark.browser
ID_NUMBER = "440104195808082222"



@pytest.mark.parametrize("width", [PHONE_WIDTH, 1280])
def test_staff_merge_a_duplicate_pair_and_the_old_address_redirects(app: Flask, page: Page, screenshots: Path,
                                                                     width: int) -> None:
    kept = make_need("published", household={"id_number": ID_NUMBER})
    other = make_need("claimed")
    other.household.id_number, other.household.identity_key = ID_NUMBER, None  # on file twice, from before
    db.session.commit()
    kept_id, old_id = kept.household_id, other.household_id
    staff = make_user(Role.STAFF, region="440104")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, staff.email)
    page.goto("/staff/households")
    page.click("main a[href$='/staff/households/duplicates']")
    expect(page.locator("h1")).to_have_text("疑似重复的家庭档案")
    pair = page.locator("section.duplicate-pair")
    expect(pair).to_have_count(1)
    expect(pair.locator("h2")).to_contain_text(f"家庭 #{kept_id} 与家庭 #{old_id} · 身份证号相同")
    if width == PHONE_WIDTH:
        assert_fits_phone(page)
    page.screenshot(path=str(screenshots / f"household-duplicates-{width}.png"), full_page=True)
    pair.locator(f"input[name=kept][value='{kept_id}']").check()
    pair.locator("input[name=reason]").fill("同一身份证号，重复建档")
    pair.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{page.url.split('/staff/')[0]}/staff/households/{kept_id}")
    expect(page.locator(".flash").first).to_contain_text(f"家庭 #{old_id} 已并入家庭 #{kept_id}")
    expect(page.locator("main")).to_contain_text(kept.title)
    expect(page.locator("main")).to_contain_text("将一户重复的家庭档案并入此户")
    if width == PHONE_WIDTH:
        assert_fits_phone(page)
    page.goto(f"/staff/households/{old_id}")
    expect(page).to_have_url(f"{page.url.split('/staff/')[0]}/staff/households/{kept_id}")
    expect(page.locator("h1")).to_have_text(f"困难家庭 #{kept_id}")
    page.goto("/staff/households/duplicates")
    expect(page.locator("main")).to_contain_text("本辖区没有疑似重复的家庭档案")
    db.session.rollback()
    assert db.session.get(Household, old_id) is None
