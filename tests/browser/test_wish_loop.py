"""The closed loop of a micro-wish in a real browser, in Chinese (the default language).

Staff import a referral file, triage the referral into a published need; an approved organisation
finds it, claims it, uploads a photo and marks it delivered; staff confirm after the visit and the
need is closed. Every page it photographs must also fit a 360 px wide phone.
The screenshots it saves in docs/screenshots/ (with `make screenshots`) are the README's.

The flow is found through language-neutral handles (URLs, ids, CSS classes such as `.flash-success`
and `.state-closed`). What the reader sees is compared with the zh_Hans catalog as it is at run
time (`zh`), so completing a translation never breaks the test, while a page in the wrong language
or a string that is not marked for translation fails as soon as the catalog translates it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.needs.models import Claim, Evidence, Need
from tests.browser.test_org_onboarding import SIGN_OUT, assert_fits_phone, sign_in
from tests.conftest import make_org, make_user, tiny_jpeg

pytestmark = pytest.mark.browser

TITLE = "一台电暖器"  # what the referral asks for; organisations search for 电暖器
SEARCH_WORD = "电暖器"
STORY = "W奶奶，80岁，独居，住在北京街道。冬天屋里阴冷，旧电暖器坏了，需要一台新的。"
VALUE_YUAN = "399"
FEEDBACK = "已上门回访，W奶奶收到电暖器，很满意。"


def zh(message: str, **values: object) -> str:
    """What the zh_Hans catalog shows for an English source string (the page's default language)."""
    with force_locale("zh_Hans"):
        return gettext(message, **values)


def shoot(page: Page, path: Path) -> None:
    """A full-page screenshot without a focus ring or a highlighted date segment."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=path, full_page=True)


def need_id_of(url: str) -> int:
    """The need's id from /needs/<id> or /staff/needs/<id>."""
    found = re.search(r"/needs/(\d+)", url)
    assert found, url
    return int(found.group(1))


def referral_row(header: list[str], needed_by: date) -> list[str]:
    """One referral of 北京街道 (越秀区) in the template's columns, in the template's order."""
    today = today_shanghai()
    values = {
        "external_id": f"YX-{today:%Y%m%d}-0417",
        "referred_at": f"{today.isoformat()}T09:30:00+08:00",
        "household_external_id": "H-440104-00417",
        "household_category": "dibao",
        "household_group": "elderly_special_difficulty",
        "region_code": "440104",
        "street": "北京街道",
        "members": "1",
        "head_name": "王秀英",
        "phone": "13800138417",
        "address": "越秀区北京路120号",
        "id_number": "440104194601011236",
        "need_kind": "wish",
        "need_category": "daily_living",
        "title": TITLE,
        "description": "独居老人，80岁，冬季取暖困难，原电暖器损坏。",
        "quantity": "1",
        "estimated_value_fen": VALUE_YUAN + "00",
        "urgency": "normal",
        "needed_by": needed_by.isoformat(),
    }
    missing = {"region_code", "street", "title", "needed_by"} - set(header)
    assert not missing, f"the template's header lost {missing}: {header}"
    return [values.get(column, "") for column in header]


def import_referral(page: Page, screenshots: Path, folder: Path, needed_by: date) -> None:
    """Staff open Referrals from the menu, download the CSV template and import one row."""
    page.click("header nav a[href$='/staff/referrals']")
    expect(page).to_have_url(re.compile(r"/staff/referrals$"))
    expect(page.locator("h1")).to_have_text(zh("Referrals"))
    page.click("main a[href$='/staff/referrals/import/']")
    expect(page).to_have_url(re.compile(r"/staff/referrals/import/$"))
    expect(page.locator("h1")).to_have_text(zh("Import referrals from a file"))
    with page.expect_download() as download:
        page.click("a[href$='/staff/referrals/import/template.csv']")
    template = download.value.path().read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(template)))
    upload = folder / "referrals.csv"
    with upload.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows([header, referral_row(header, needed_by)])
    page.set_input_files("#file", upload)
    page.click("main form[enctype='multipart/form-data'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/referrals/import/$"))
    expect(page.locator(".flash-success")).to_have_text(
        zh("Import finished: %(created)s created, %(present)s already present, %(bad)s refused.",
           created=1, present=0, bad=0)
    )
    expect(page.locator("#report-title")).to_have_text(zh("Result of the import"))
    expect(page.locator(".figure strong")).to_have_text(["1", "0", "0"])  # created, present, refused
    assert_fits_phone(page)
    shoot(page, screenshots / "import.png")
    page.click("[aria-labelledby=report-title] a[href*='/staff/referrals']")


def triage(page: Page, screenshots: Path, today: date) -> None:
    """Staff open the waiting referral, write the public story and publish the need at once."""
    expect(page).to_have_url(re.compile(r"/staff/referrals(\?status=received)?$"))
    row = page.locator("table.list tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text(zh("waiting for triage"))
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(r"/staff/referrals/\d+$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#title")).to_have_value(TITLE)  # pre-filled from the referral
    page.select_option("#kind", "wish")
    page.fill("#story", STORY)
    page.fill("#quantity", "1")
    page.fill("#value_yuan", VALUE_YUAN)
    page.fill("#claim_deadline", (today + timedelta(days=7)).isoformat())
    page.fill("#fulfil_by", (today + timedelta(days=20)).isoformat())
    page.check("#publish_now")
    assert_fits_phone(page)
    shoot(page, screenshots / "triage.png")
    page.click("form[action$='/triage'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/referrals/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(zh("Need created."))
    expect(page.locator(".flash-success")).to_contain_text(zh("waiting for a claim"))
    made = page.locator("main a[href*='/staff/needs/']", has_text=TITLE)
    expect(made).to_have_count(1)


def sign_out(page: Page) -> None:
    """The header's sign-out button."""
    page.click(SIGN_OUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def find_and_claim(page: Page, screenshots: Path, member_email: str, promised: date) -> int:
    """The organisation finds the need by a word of its title, claims it and says by when."""
    sign_in(page, member_email)
    page.click("header nav a[href$='/needs']")
    expect(page).to_have_url(re.compile(r"/needs$"))
    expect(page.locator("h1")).to_have_text(zh("Needs waiting for help"))
    page.fill("input[name=q]", SEARCH_WORD)
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/needs\?.*q=" + re.escape(quote(SEARCH_WORD))))
    cards = page.locator(".need-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("北京街道")
    expect(cards.first).to_contain_text("W奶奶")
    assert_fits_phone(page)
    shoot(page, screenshots / "browse.png")
    cards.first.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(r"/needs/\d+$"))
    need_id = need_id_of(page.url)
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".state-published")).to_have_text(zh("waiting for a claim"))
    expect(page.locator(".story")).to_have_text(STORY)
    assert_fits_phone(page)
    page.fill("#promised_by", promised.isoformat())
    page.click("form[action$='/claim'] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/needs/{need_id}$"))
    expect(page.locator(".flash-success")).to_have_text(
        zh("Claimed. Thank you! Deliver by %(date)s and add a photo or receipt.", date=promised.isoformat())
    )
    expect(page.locator(".state-claimed")).to_have_text(zh("claimed"))
    return need_id


def deliver_with_photo(page: Page, screenshots: Path, photo: Path, need_id: int) -> None:
    """A photo as evidence, shown back to the organisation; then "mark as delivered"."""
    page.select_option("#kind", "photo")
    page.set_input_files("#file", photo)
    page.click("form[action$='/evidence'] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/needs/{need_id}$"))
    expect(page.locator(".flash-success")).to_have_text(zh("Evidence added."))
    image = page.locator("ul.evidence img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 64", arg=image.element_handle())
    assert_fits_phone(page)
    shoot(page, screenshots / "claim-evidence.png")
    page.click("form[action$='/deliver'] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/needs/{need_id}$"))
    expect(page.locator(".flash-success")).to_have_text(
        zh("Marked delivered. The caseworker or the recipient will confirm.")
    )
    expect(page.locator(".state-delivered")).to_have_text(zh("delivered, awaiting confirmation"))
    expect(page.locator("form[action$='/deliver']")).to_have_count(0)
    assert_fits_phone(page)
    sign_out(page)


def confirm(page: Page, screenshots: Path, staff_email: str, need_id: int) -> None:
    """Staff find the delivery in the work queue, rate it and close the need."""
    sign_in(page, staff_email)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("ul.queue a[href='#deliveries'] strong")).to_have_text("1")
    waiting = page.locator("#deliveries li", has_text=TITLE)  # the work itself, with how long it waits
    expect(waiting).to_contain_text(zh("waiting %(age)s", age="").strip())
    waiting.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/staff/needs/{need_id}$"))
    expect(page.locator("ul.evidence img")).to_have_count(1)
    page.select_option("#rating", "5")
    page.fill("#feedback", FEEDBACK)
    assert_fits_phone(page)
    shoot(page, screenshots / "staff-confirm.png")
    page.click("form[action$='/confirm'] button")
    expect(page).to_have_url(re.compile(rf"/staff/needs/{need_id}$"))
    expect(page.locator(".flash-success")).to_have_text(zh("Confirmed and closed."))
    expect(page.locator(".state-closed")).to_have_text(zh("closed"))
    expect(page.locator("dl.details")).to_contain_text("★★★★★")
    expect(page.locator("dl.details")).to_contain_text(FEEDBACK)
    expect(page.locator("form[action$='/confirm']")).to_have_count(0)
    assert_fits_phone(page)
    shoot(page, screenshots / "closed.png")


def test_micro_wish_from_referral_file_to_closed(
    app: Flask, page: Page, screenshots: Path, server_errors: list[str], tmp_path: Path
) -> None:
    """Import → triage and publish → search, claim, photo, deliver → staff confirm → closed."""
    staff = make_user(Role.STAFF, region="440104")
    org = make_org(region="440104")
    staff_email, member_email, org_id = staff.email, org.members[0].email, org.id
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)
    today = today_shanghai()
    photo = tmp_path / "delivered.jpg"
    photo.write_bytes(tiny_jpeg())

    sign_in(page, staff_email)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    import_referral(page, screenshots, tmp_path, needed_by=today + timedelta(days=30))
    triage(page, screenshots, today)
    sign_out(page)

    need_id = find_and_claim(page, screenshots, member_email, promised=today + timedelta(days=10))
    deliver_with_photo(page, screenshots, photo, need_id)
    confirm(page, screenshots, staff_email, need_id)

    need = db.session.get(Need, need_id)
    assert need is not None
    assert (need.status, need.title, need.story, need.value_fen) == ("closed", TITLE, STORY, 39900)
    assert (need.claimed_by_id, need.rating, need.feedback) == (org_id, 5, FEEDBACK)
    assert (need.claim_deadline, need.fulfil_by) == (today + timedelta(days=7), today + timedelta(days=20))
    referral = db.session.scalars(sa.select(Referral)).one()
    assert (referral.status, referral.title, referral.needed_by) == ("triaged", TITLE, today + timedelta(days=30))
    claim = db.session.scalars(sa.select(Claim).where(Claim.need_id == need_id)).one()
    assert (claim.organisation_id, claim.status, claim.promised_by) == (org_id, "completed", today + timedelta(days=10))
    assert [e.kind for e in db.session.scalars(sa.select(Evidence).where(Evidence.need_id == need_id))] == ["photo"]
    db.session.rollback()
    assert not server_errors, "\n".join(server_errors)
