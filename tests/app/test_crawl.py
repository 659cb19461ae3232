"""Every internal link a role is shown opens for that role: a crawl of the demo as each role.

A link that answers 4xx (or 5xx) to the reader it was shown to is a broken promise: a menu
entry to a forbidden page, an up-link that answers 403, a photo that is gone.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from marketplace.demo.seed import DEMO_PASSWORD
from marketplace.extensions import db

ROLES = {  # demo account → where its day starts
    "": ["/", "/needs", "/projects", "/meals/", "/leaderboards"],
    "admin@shanlian.demo": ["/admin/", "/staff/"],
    "yuexiu@shanlian.demo": ["/staff/"],
    "beijingjie@shanlian.demo": ["/staff/", "/staff/dashboard/"],
    "org01@shanlian.demo": ["/org/"],
    "org07@shanlian.demo": ["/org/meals/"],
    "outlet01@shanlian.demo": ["/outlet/"],
}
SKIP = re.compile(r"^/(static/|lang/|logout)|\.(csv|xlsx)$|/export")
PAGES_PER_ROLE = 160
SAME_SHAPE = 3  # pages of one shape (ids replaced) worth opening


class Links(HTMLParser):
    """The href of every <a> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.found.append(href)


def _internal(href: str) -> str | None:
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "localhost"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not SKIP.search(parts.path) else None


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return app


def _crawl(client, starts: list[str]) -> list[str]:
    broken, seen, shapes = [], set(starts), {}
    queue = deque((start, "(start)") for start in starts)
    opened = 0
    while queue and opened < PAGES_PER_ROLE:
        path, source = queue.popleft()
        response = client.get(path)
        opened += 1
        if response.status_code >= 400:
            broken.append(f"{path} → {response.status_code} (linked from {source})")
            continue
        if response.mimetype != "text/html":
            continue
        parser = Links()
        parser.feed(response.get_data(as_text=True))
        for href in parser.found:
            target = _internal(href)
            if target is None or target in seen:
                continue
            shape = re.sub(r"\d+", "N", target)
            if shapes.get(shape, 0) >= SAME_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(target)
            queue.append((target, path))
    assert opened >= 30, f"only {opened} pages reached: the crawl itself is broken"
    return broken


@pytest.mark.parametrize("email", list(ROLES), ids=lambda e: e.split("@")[0] or "public")
def test_no_link_a_role_is_shown_answers_an_error_to_it(demo, email):
    client = demo.test_client()
    if email:
        signed_in = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, email
    broken = _crawl(client, ROLES[email])
    assert not broken, "\n".join(broken)
