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
from tests.conftest import load_demo

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


class Page(HTMLParser):
    """The href of every <a> on a page, and the words a reader sees (text, titles, placeholders)."""

    SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
    NOT_WORDS = ("script", "style", "code", "pre", "kbd", "samp")  # code, keys and commands are no language

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.found.append(values["href"] or "")
        if tag in self.NOT_WORDS or values.get("translate") == "no":
            self._hidden += 1
        self.words += [v for k, v in attrs if k in self.SEEN_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.words.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.NOT_WORDS:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.words.append(data)


def _internal(href: str) -> str | None:
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "localhost"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not SKIP.search(parts.path) else None


@pytest.fixture
def demo(app):
    load_demo(app)
    return app


def _crawl(client, starts: list[str], check=None) -> list[str]:  # type: ignore[no-untyped-def]
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
        parser = Page()
        parser.feed(response.get_data(as_text=True))
        if check is not None:
            broken += [f"{path}: {word!r}" for word in check(parser.words)]
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


# Words that are the same in both languages: acronyms, units, the other language's switch link.
SAME_IN_BOTH = {"API", "CSV", "XLSX", "QR", "ID", "ICP", "PDF", "JSON", "OpenAPI", "SMTP", "HTTP", "HTTPS", "Stripe",
                "TOTP", "URL", "English", "中文", "Cookie", "Excel", "xlsx", "csv", "WPS", "PNG", "JPEG", "WebP",
                "zh", "en", "Android", "Chrome", "iPhone",
                "Google", "Microsoft", "Authenticator", "FreeOTP", "Bearer", "MiB", "KiB", "Unix", "RFC", "HMAC"}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_'’./-]{2,}")
# An identifier, not a word: a field or header name, an error code, a schema, a time zone, a path.
IDENTIFIER = re.compile(r"[0-9_./]|-[A-Za-z]|^[A-Za-z]+[A-Z]")
HAN = re.compile(r"[\u3400-\u9fff]+")


def _data_corpus() -> str:
    """Every text value in the database, and the operator's office from the deployment settings:
    what a page shows as data, not as its own words."""
    import sqlalchemy as sa
    from flask import current_app

    pieces = [str(current_app.config.get(key) or "") for key in
              ("OFFICE_NAME", "OFFICE_ADDRESS", "OFFICE_EMAIL", "OFFICE_PHONE", "ICP_NUMBER")]
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.String):
                pieces += [v for v in db.session.scalars(sa.select(column).distinct()) if v]
    return "\n".join(pieces)


def _foreign(words: list[str], pattern: re.Pattern, corpus: str) -> list[str]:
    """Runs in the other language that are neither data nor the same in both languages."""
    found = []
    for text in words:
        for run in pattern.findall(text):
            if pattern is LATIN and IDENTIFIER.search(run):
                continue
            if run not in SAME_IN_BOTH and run not in corpus:
                found.append(run)
    return found


@pytest.mark.parametrize("email", list(ROLES), ids=lambda e: e.split("@")[0] or "public")
def test_every_page_speaks_the_readers_language(demo, email):
    corpus = _data_corpus()
    for language, pattern in (("zh_Hans", LATIN), ("en", HAN)):
        client = demo.test_client()
        client.get(f"/lang/{language}")
        if email:
            client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        foreign = _crawl(client, ROLES[email], check=lambda words, p=pattern: _foreign(words, p, corpus))
        assert not foreign, f"{language}:\n" + "\n".join(sorted(set(foreign)))
