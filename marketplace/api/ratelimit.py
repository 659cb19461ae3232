"""Per-key rate limit of the API, counted in the storage named by RATELIMIT_STORAGE_URI.

The app's Flask-Limiter decides limits before the blueprint knows which key is calling, so the API
counts its own window with the same `limits` library, per app (memory:// for one process, Redis
when several workers serve). `limiter.enabled` (RATELIMIT_ENABLED) switches it off like the rest.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from marketplace.api.errors import ApiError
from marketplace.api.models import RATE_WINDOW_SECONDS, ApiKey
from marketplace.extensions import limiter

EXTENSION = "shanlian_api_rate_limiter"
NAMESPACE = "shanlian-api"


def init_app(app: Flask) -> None:
    """Create the app's counter storage (lazily connected: no network here)."""
    storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage)


def check(key: ApiKey) -> None:
    """Count one request of this key; 429 with Retry-After once its window is used up."""
    if not limiter.enabled:
        return
    strategy: FixedWindowRateLimiter = current_app.extensions[EXTENSION]
    item = RateLimitItemPerSecond(key.source.rate_limit, RATE_WINDOW_SECONDS)
    # The key hash, not the row id: ids restart in a fresh database, while Redis outlives it.
    identity = key.key_hash[:32]
    try:
        if strategy.hit(item, NAMESPACE, identity):
            return
        reset_at = strategy.get_window_stats(item, NAMESPACE, identity).reset_time
    except Exception:  # the counter store is down: serve rather than fail every request
        current_app.logger.warning("API rate-limit storage unavailable", exc_info=True)
        return
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise ApiError(429, headers={"Retry-After": str(retry_after)})
