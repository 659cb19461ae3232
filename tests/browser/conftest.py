"""Real-browser fixtures: the app served over HTTP, Debian's Chromium driven by Playwright.

`live_server` serves the same migrated app as the other tests (on each database), with emptied
tables and CSRF protection on, as a browser meets it. `server_errors` gathers every 5xx the
browser saw and every error the app logged (with its traceback); a browser test ends by asserting
it is empty, and the `page` fixture checks it again on teardown so a 500 is never silently lost.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Error, Page, Response, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import ROOT, require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps calling home, and the closed network refuses every call.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


class _Collect(logging.Handler):
    """Keeps the app's ERROR records, traceback included, for the test to show."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink
        self.setFormatter(logging.Formatter("app logged %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


@pytest.fixture
def server_errors() -> list[str]:
    """5xx responses seen by the browser, errors logged by the app, and uncaught page errors."""
    return []


@pytest.fixture
def live_server(app: Flask, server_errors: list[str]) -> Iterator[str]:
    """The app (tables emptied by `app`) on a free loopback port; yields its base URL."""
    app.config["WTF_CSRF_ENABLED"] = True  # real forms, real tokens (the `app` fixture turns it off again)
    handler = _Collect(server_errors)
    app.logger.addHandler(handler)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.logger.removeHandler(handler)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session; skipped locally (failed in CI) when it cannot start."""
    if not CHROMIUM.exists():
        require(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    playwright = sync_playwright().start()  # raises if called inside a running asyncio loop
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Error as exc:
        playwright.stop()
        require(f"Playwright could not launch {CHROMIUM}: {' '.join(str(exc).split())[:400]}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser: Browser, live_server: str, server_errors: list[str]) -> Iterator[Page]:
    """A fresh browser context (zh-CN, no cookies) on the live server; relative URLs work."""
    context = browser.new_context(locale="zh-CN", base_url=live_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()

    def on_response(response: Response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    tab.on("response", on_response)
    tab.on("pageerror", lambda error: server_errors.append(f"page error: {error}"))
    yield tab
    context.close()
    assert not server_errors, "server-side errors during the test:\n" + "\n".join(server_errors)


def has_chinese_font() -> bool:
    """Whether fontconfig knows a font for Chinese (else every 汉字 is drawn as a box)."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: `test-artifacts/screenshots` (git-ignored), or the README's folder
    with `make screenshots` (SHANLIAN_SCREENSHOTS=docs/screenshots), so a test run never dirties
    the work tree. Without a CJK font (apt-get install fonts-noto-cjk) pictures of boxes must not
    replace the README's: they go to a temp folder.
    """
    if not has_chinese_font():
        return tmp_path_factory.mktemp("screenshots")
    target = ROOT / os.environ.get("SHANLIAN_SCREENSHOTS", "test-artifacts/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target
