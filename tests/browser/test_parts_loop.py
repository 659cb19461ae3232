"""Split fulfilment in a real browser: two organisations each take part of a 120-kit need, each
proves and delivers its part, staff confirm both parts and the need is closed (360 px and 1280 px)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.needs.models import Claim, Need
from tests.browser.test_org_onboarding import SIGN_OUT, assert_fits_phone, sign_in
from tests.browser.test_wish_loop import zh
from tests.conftest import make_org, make_user, tiny_jpeg
from tests.parts.conftest import big_need

pytestmark = pytest.mark.browser


def take_part(page: Page, email: str, need_id: int, promised: str, quantity: str | None, photo: Path) -> None:
    """An organisation claims part of the need (or what is left), adds a photo and delivers its part."""
    sign_in(page, email)
    page.goto(f"/needs/{need_id}")
    assert_fits_phone(page)
    page.fill("#promised_by", promised)
    if quantity is not None:
        page.fill("#quantity", quantity)
    page.click("form[action$='/claim'] button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    page.select_option("#kind", "photo")
    page.set_input_files("#file", photo)
    page.click("form[action$='/evidence'] button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text(zh("Evidence added."))
    page.click("form[action$='/deliver'] button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text(
        zh("Marked delivered. The caseworker or the recipient will confirm."))
    assert_fits_phone(page)
    page.click(SIGN_OUT)


def test_two_organisations_take_parts_and_staff_confirm_both(
    app: Flask, page: Page, server_errors: list[str], tmp_path: Path
) -> None:
    staff = make_user(Role.STAFF, region="440104")
    first, second = make_org(name="越秀爱心协会"), make_org(name="海珠义工队")
    need = big_need(120)
    need_id, staff_email = need.id, staff.email
    emails = first.members[0].email, second.members[0].email
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)
    photo = tmp_path / "kits.jpg"
    photo.write_bytes(tiny_jpeg())
    promised = (today_shanghai() + timedelta(days=5)).isoformat()

    page.set_viewport_size({"width": 1280, "height": 900})
    take_part(page, emails[0], need_id, promised, "70", photo)
    sign_in(page, emails[1])
    page.goto(f"/needs/{need_id}")
    expect(page.locator("#quantity")).to_have_value("50")  # the form offers what is left
    expect(page.locator("ul.parts li")).to_have_count(1)
    page.click(SIGN_OUT)
    take_part(page, emails[1], need_id, promised, None, photo)

    sign_in(page, staff_email)
    page.goto(f"/staff/needs/{need_id}")
    expect(page.locator(".state-delivered")).to_have_text(zh("delivered, awaiting confirmation"))
    parts = page.locator("div.part")
    expect(parts).to_have_count(2)
    assert_fits_phone(page)
    for index in range(2):
        part = page.locator("div.part").nth(index)
        part.locator("select").select_option("5")
        part.locator("form[action$='/confirm'] button").click()
        expect(page.locator(".flash-success")).to_have_text(zh("Part confirmed."))
    expect(page.locator(".state-closed")).to_have_text(zh("closed"))
    expect(page.locator("form[action$='/confirm']")).to_have_count(0)
    assert_fits_phone(page)

    db.session.rollback()
    closed = db.session.get(Need, need_id)
    assert closed.status == "closed" and closed.claimed_quantity == 120
    parts_held = db.session.scalars(sa.select(Claim).where(Claim.need_id == need_id).order_by(Claim.id)).all()
    assert [(p.quantity, p.status) for p in parts_held] == [(70, "completed"), (50, "completed")]
    assert not server_errors, "\n".join(server_errors)
