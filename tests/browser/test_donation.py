"""A donation paid through the giving page in a real browser, with localstripe's test Stripe.js.

A visitor opens a renovation project, follows "give to this project", pays ¥20,000 by card on our
payment page (localstripe's card element: `static/js/donate.js` falls back to it when there is no
Payment Element), lands on the thank-you page; localstripe's signed webhook reaches the live server
and the project's progress bar moves by the gift. Both pages must fit a 360 px phone.
Handles are language-neutral (URLs, ids, the `<progress>` value).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.donations.models import Donation
from marketplace.extensions import db
from tests.browser.test_org_onboarding import assert_fits_phone
from tests.browser.test_wish_loop import shoot
from tests.donations.support import hooked, localstripe_url  # noqa: F401  (localstripe, webhooks to the live app)
from tests.projects.support import make_project

pytestmark = pytest.mark.browser

GIFT_YUAN = 20_000
# localstripe's card element: plain inputs named by their placeholder; the year is two digits ("20" is added).
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "34", "cvc": "123", "postal_code": "510000"}
WEBHOOK_SECONDS = 15


def progress_value(page: Page, project_id: int) -> int:
    """The project's progress bar value (fen confirmed), as the public page shows it."""
    bar = page.locator(f"#progress-{project_id}")
    expect(bar).to_have_count(1)
    return int(bar.get_attribute("value") or "0")


def wait_for_webhook(token: str) -> Donation:
    """The donation once localstripe's payment_intent.succeeded webhook was applied by the live server."""
    deadline = time.monotonic() + WEBHOOK_SECONDS
    while True:
        db.session.rollback()  # a fresh read each round (and no lock held against the server on SQLite)
        donation = db.session.scalar(sa.select(Donation).where(Donation.token == token))
        if donation is not None and donation.status != "created":
            return donation
        if time.monotonic() > deadline:
            pytest.fail(f"no webhook applied within {WEBHOOK_SECONDS}s: donation is {donation and donation.status}")
        time.sleep(0.1)


def test_a_card_donation_through_the_page_moves_the_progress_bar(
    app: Flask, hooked: None, page: Page, screenshots: Path, server_errors: list[str]  # noqa: F811
) -> None:
    """Project page → give → pay by card (localstripe) → thanks → webhook → the progress bar moved."""
    project = make_project("plan_approved", lines=(3_000_000, 2_000_000))
    project_id = project.id
    db.session.commit()  # end the test's own read transaction before the server writes (SQLite)

    page.goto(f"/projects/{project_id}")
    before = progress_value(page, project_id)
    assert before == 0
    page.click(f"main a[href$='/projects/{project_id}/give']")
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}/give$"))
    page.fill("#amount", str(GIFT_YUAN))
    page.fill("#donor_name", "善心人")
    page.check("#show_name")
    page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/donations/[\w-]+/pay$"))
    token = page.url.rsplit("/", 2)[-2]
    card = page.locator("#payment-element")
    for field, value in CARD.items():
        card.locator(f"input[placeholder={field}]").fill(value)
    assert_fits_phone(page)
    shoot(page, screenshots / "donate.png")
    page.click("#pay-button")

    expect(page).to_have_url(re.compile(rf"/donations/{re.escape(token)}$"))
    donation = wait_for_webhook(token)
    assert (donation.status, donation.amount_fen, donation.project_fen) == ("succeeded", GIFT_YUAN * 100,
                                                                           GIFT_YUAN * 100)
    assert donation.payment_intent_id and donation.payment_intent_id.startswith("pi_")
    db.session.rollback()
    page.reload()
    expect(page.locator("main h1")).to_have_count(1)
    expect(page.locator("main code")).to_have_text(token)

    page.goto(f"/projects/{project_id}")
    after = progress_value(page, project_id)
    assert after - before == GIFT_YUAN * 100
    expect(page.locator(".covered-amount")).to_contain_text(f"{GIFT_YUAN:,}")
    assert_fits_phone(page)
    shoot(page, screenshots / "donated-progress.png")
    assert not server_errors, "\n".join(server_errors)
