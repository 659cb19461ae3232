"""No page scrolls sideways on a 360 px phone: every page each demo role reaches, in Chromium.

The pages are found as the link crawl finds them (tests/app/test_crawl.py: one page of each shape
per role), then each is laid out by the browser at 360 × 740 CSS px. A wide table may scroll inside
its own box (`.table-scroll`); the page itself must not be wider than the screen.

Layout does not depend on the database, so this runs on SQLite only; the pages' data come from the
demo, which is the same on both.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from playwright.sync_api import Browser

from marketplace.demo.seed import DEMO_PASSWORD
from tests.app.test_crawl import ROLES, Page, _internal
from tests.conftest import load_demo

PHONE = {"width": 360, "height": 740}
# The widest things on the page, named so a failure says what to fix.
OVERFLOWING = """(width) => {
  if (document.documentElement.scrollWidth <= width) return [];
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    const beyond = box.right > width + 1 || el.scrollWidth > width;
    if (beyond && !el.closest('.table-scroll') && getComputedStyle(el).position !== 'fixed') {
      wide.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` +
                ` right=${Math.round(box.right)}`);
    }
  }
  return [`scrollWidth=${document.documentElement.scrollWidth}`, ...wide.slice(0, 4)];
}"""


def _pages(client, starts: list[str], limit: int = 120) -> list[str]:  # type: ignore[no-untyped-def]
    """HTML pages the role reaches by following links, one of each shape (ids replaced by N)."""
    pages, seen, shapes = [], set(starts), set()
    queue = deque(starts)
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code >= 400 or response.mimetype != "text/html":
            continue
        pages.append(path)
        parser = Page()
        parser.feed(response.get_data(as_text=True))
        for href in parser.found:
            target = _internal(href)
            shape = re.sub(r"\d+", "N", target.split("?")[0]) if target else None
            if target is None or target in seen or shape in shapes:
                continue
            shapes.add(shape)
            seen.add(target)
            queue.append(target)
    return pages


@pytest.fixture
def demo_server(app, live_server, database_url):  # type: ignore[no-untyped-def]
    if database_url.startswith("postgresql"):
        pytest.skip("page layout is the same on either database (same templates, same demo data): "
                    "laid out once, on SQLite")
    load_demo(app)
    return live_server


@pytest.mark.parametrize("email", list(ROLES), ids=lambda e: e.split("@")[0] or "public")
def test_no_page_a_role_reaches_scrolls_sideways_at_360_px(app, browser: Browser, demo_server, server_errors, email):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False  # the crawl's own client signs in without a form token
    try:
        if email:
            assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        pages = _pages(client, ROLES[email])
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert len(pages) >= 5, f"only {len(pages)} pages found: the crawl itself is broken"

    context = browser.new_context(locale="zh-CN", base_url=demo_server, viewport=PHONE)
    tab = context.new_page()
    if email:
        tab.goto("/login")
        tab.fill("#email", email)
        tab.fill("#password", DEMO_PASSWORD)
        tab.click("main button[type=submit]")
        tab.wait_for_load_state()
    wide = []
    for path in pages:
        tab.goto(path, wait_until="load")
        found = tab.evaluate(OVERFLOWING, PHONE["width"])
        if found:
            wide.append(f"{path}: {' · '.join(found)}")
    context.close()
    assert not wide, f"{len(wide)} of {len(pages)} pages scroll sideways at 360 px:\n" + "\n".join(wide)
    assert not server_errors, "\n".join(server_errors)
