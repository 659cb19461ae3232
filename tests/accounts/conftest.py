"""Fixtures of the sign-in tests: a movable clock, the throttle on (in memory and in the real Redis),
English pages, and the second factor required.

The base fixtures (`app`, `client`, `as_role`, the databases) are in tests/conftest.py; helpers that
drive the sign-in pages are in tests/accounts/support.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from marketplace.accounts import throttle
from marketplace.extensions import limiter
from tests.accounts.support import Clock
from tests.conftest import require


@pytest.fixture
def clock(app: Flask) -> Iterator[Clock]:
    """The app's clock, fixed at the start of a TOTP step until the test moves it."""
    fixed = Clock(app)
    yield fixed
    app.config.pop("CLOCK", None)


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    """Pages and messages in their English source (the default language is Chinese)."""
    before = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    yield
    app.config["BABEL_DEFAULT_LOCALE"] = before


def redis_url() -> str:
    """The Redis of the tests (TEST_REDIS_URL, else the local server's db 15), or skip/fail."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        require(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture(params=["memory", "redis"])
def throttling(request: pytest.FixtureRequest, app: Flask, clock: Clock, english: None) -> Iterator[str]:
    """The sign-in throttle on, its counts in memory or in the real Redis (a prefix of this run's
    own, emptied before and after), the clock fixed; yields the store's kind."""
    before = app.config["RATELIMIT_STORAGE_URI"], app.config.get("SIGN_IN_THROTTLE_PREFIX")
    if request.param == "redis":
        app.config["RATELIMIT_STORAGE_URI"] = redis_url()
        app.config["SIGN_IN_THROTTLE_PREFIX"] = f"test-signin-{os.getpid()}"
    throttle.init_app(app)
    throttle.store().clear()
    limiter.enabled = True
    yield request.param
    limiter.enabled = False
    throttle.store().clear()
    app.config["RATELIMIT_STORAGE_URI"], app.config["SIGN_IN_THROTTLE_PREFIX"] = before
    if before[1] is None:
        app.config.pop("SIGN_IN_THROTTLE_PREFIX")
    throttle.init_app(app)


@pytest.fixture
def factor_required(app: Flask) -> Iterator[None]:
    """REQUIRE_SECOND_FACTOR on, as in production."""
    app.config["REQUIRE_SECOND_FACTOR"] = True
    yield
    app.config["REQUIRE_SECOND_FACTOR"] = False
