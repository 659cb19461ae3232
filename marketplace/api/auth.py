"""Who is calling: the bearer key, and for state-changing requests a fresh HMAC signature.

The signature is HMAC-SHA256 of "<X-Timestamp>.<raw body>" keyed with the API key itself. The
server only stores the key's hash, so it checks the presented key against that hash first and then
uses the presented key to check the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import g, request

from marketplace import clock
from marketplace.api import keys
from marketplace.api.errors import ApiError
from marketplace.api.models import ApiKey

MAX_SKEW_SECONDS = 300
SIGNED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TIMESTAMP = re.compile(r"^\d{1,12}$")


def sign(key: str, timestamp: str, body: bytes) -> str:
    """The X-Signature value for a body sent at `timestamp` (what a client computes, too)."""
    digest = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def bearer_key() -> str | None:
    """The key in `Authorization: Bearer <key>`, if the header has that form."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def authenticate() -> tuple[ApiKey, str]:
    """The active key of this request and the key itself; 401 when missing, unknown or revoked."""
    presented = bearer_key()
    row = keys.verify(presented) if presented else None
    if row is None:
        raise ApiError(401, "Missing, unknown or revoked API key: send Authorization: Bearer <key>.")
    g.api_key, g.api_source = row, row.source
    return row, presented  # type: ignore[return-value]


def check_signature(presented_key: str) -> None:
    """Refuse a state-changing request whose timestamp is stale or whose signature is wrong."""
    stamp = request.headers.get("X-Timestamp", "").strip()
    if not TIMESTAMP.match(stamp):
        raise ApiError(401, "X-Timestamp must be the current unix time in whole seconds.")
    if abs(clock.now().timestamp() - int(stamp)) > MAX_SKEW_SECONDS:
        raise ApiError(401, f"X-Timestamp is more than {MAX_SKEW_SECONDS} s away from the server clock.")
    expected = sign(presented_key, stamp, request.get_data(cache=True))
    given = request.headers.get("X-Signature", "").strip().lower()
    # Constant time, so an attacker cannot learn the signature byte by byte from response times.
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise ApiError(401, 'X-Signature must be "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>".')
