"""localstripe for the tests: its aiohttp app served on 127.0.0.1 (a subprocess, fresh state each run)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import require

WEBHOOK_SECRET = "whsec_shanlian_test"
SERVE = """
import sys
from aiohttp import web
from localstripe.server import app
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_localstripe(tmp: Path) -> Iterator[str]:
    """Run localstripe on 127.0.0.1; yield its base URL. A missing localstripe fails in CI (require)."""
    try:
        import localstripe  # noqa: F401
    except ImportError:
        require("donation tests need localstripe (pip install -e '.[dev]')")
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            require("localstripe did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localstripe on 127.0.0.1 for the whole run (import this fixture into the test module)."""
    yield from start_localstripe(tmp_path_factory.mktemp("localstripe"))


@pytest.fixture
def hooked(app: Flask, localstripe_url: str, live_server: str) -> Iterator[None]:
    """Online giving through a reset localstripe whose webhooks reach the live app (`live_server`)."""
    call(localstripe_url, "DELETE", "/_config/data")
    call(localstripe_url, "POST", "/_config/webhooks/shanlian",
         {"url": f"{live_server}/stripe/webhook", "secret": WEBHOOK_SECRET})
    with stripe_config(app, localstripe_url):
        yield


def call(base: str, method: str, path: str, data: dict | None = None) -> None:
    """A configuration call to localstripe (webhooks, reset)."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"{base}{path}", data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).close()


@contextmanager
def stripe_config(app: Flask, base: str | None) -> Iterator[None]:
    """Turn online giving on for one test (keys, webhook secret, localstripe as API and Stripe.js)."""
    keys = {"STRIPE_SECRET_KEY": "sk_test_shanlian", "STRIPE_PUBLISHABLE_KEY": "pk_test_shanlian",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": base or "",
            "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"}
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(keys)
    try:
        yield
    finally:
        app.config.update(saved)


def signed(event: dict, *, at: int | None = None, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header, as Stripe signs them."""
    payload = json.dumps(event).encode()
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={at},v1={digest}"


def intent_event(kind: str, donation, *, event_id: str, intent_id: str = "pi_test_1") -> dict:  # type: ignore[no-untyped-def]
    """A payment_intent.* event for a donation."""
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
            "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": donation.amount_fen,
                                "currency": "cny", "metadata": {"donation": donation.token},
                                "status": "succeeded" if kind.endswith("succeeded") else "requires_payment_method"}}}
