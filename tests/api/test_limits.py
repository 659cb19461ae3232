"""Per-key rate limit (memory and Redis storage) with Retry-After, and an admin raising it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.api import ratelimit
from marketplace.api.models import DEFAULT_RATE_LIMIT, MIN_RATE_LIMIT, ApiSource
from marketplace.extensions import db, limiter
from tests.api.support import Api, api_for, make_key
from tests.conftest import require


@pytest.fixture
def limited(app) -> Iterator[None]:
    """Rate limiting on (the suite turns it off for every other test)."""
    limiter.enabled = True
    yield
    limiter.enabled = False


def _until_limited(api: Api, most: int) -> tuple[int, object]:
    """How many GETs were served before the first 429 (and that response)."""
    for served in range(most):
        response = api.get("/referrals")
        if response.status_code == 429:
            return served, response
        assert response.status_code == 200
    return most, None


def _check_429(response) -> None:
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 10


def test_at_least_100_requests_per_10_seconds_then_429_with_retry_after(app, limited):
    api = api_for(app)
    served, response = _until_limited(api, DEFAULT_RATE_LIMIT + 5)
    assert MIN_RATE_LIMIT <= served == DEFAULT_RATE_LIMIT
    _check_429(response)
    # Signed writes count too, and are refused the same way.
    assert api.post("/referrals", {}).status_code == 429
    # The limit is per key: another source's key is still served.
    assert api_for(app, "other-system").get("/referrals").status_code == 200


def test_an_admin_may_allow_a_source_more(app, as_role):
    key = make_key("assist-gz")
    admin = as_role(Role.ADMIN)  # signed in before limits apply: sign-ins have their own limit
    limiter.enabled = True
    source_id = db.session.scalar(sa.select(ApiSource.id))
    response = admin.post(f"/admin/api-sources/{source_id}/rate-limit", data={f"s{source_id}-rate_limit": "150"})
    assert response.status_code == 302
    served, response = _until_limited(Api(app.test_client(), key), 160)
    assert served == 150
    _check_429(response)
    # Below the contract's floor is refused.
    admin.post(f"/admin/api-sources/{source_id}/rate-limit", data={f"s{source_id}-rate_limit": "99"})
    db.session.expire_all()
    assert db.session.get(ApiSource, source_id).rate_limit == 150


@pytest.fixture
def redis_storage(app) -> Iterator[str]:
    """The API's limiter counting in Redis (TEST_REDIS_URL, else the local server) for one test."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        require(f"Redis at {url} is not reachable: {exc}")
    previous = app.config["RATELIMIT_STORAGE_URI"]
    app.config["RATELIMIT_STORAGE_URI"] = url
    ratelimit.init_app(app)
    yield url
    app.config["RATELIMIT_STORAGE_URI"] = previous
    ratelimit.init_app(app)


def test_the_limit_is_counted_in_redis_when_configured(app, limited, redis_storage):
    api = api_for(app)
    served, response = _until_limited(api, DEFAULT_RATE_LIMIT + 5)
    assert served == DEFAULT_RATE_LIMIT
    _check_429(response)
    stored = redis.Redis.from_url(redis_storage).keys(f"*{ratelimit.NAMESPACE}*")
    assert stored, "the counter should live in Redis"


def test_an_unreachable_limiter_store_serves_rather_than_fails(app, limited):
    app.config["RATELIMIT_STORAGE_URI"], previous = "redis://127.0.0.1:1/0", app.config["RATELIMIT_STORAGE_URI"]
    ratelimit.init_app(app)
    try:
        assert api_for(app).get("/referrals").status_code == 200
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = previous
        ratelimit.init_app(app)
