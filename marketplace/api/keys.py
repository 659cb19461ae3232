"""Creating, revoking and checking API keys. A key is shown once; only its hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace import clock
from marketplace.api.models import MIN_RATE_LIMIT, ApiKey, ApiSource
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households.models import STAFF_SOURCE

KEY_PREFIX = "shl_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # "shl_" and 8 hex characters: enough to find the row, not to guess
KEY_FORMAT = re.compile(r"^shl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,59}$")
MAX_RATE_LIMIT = 100_000


class ApiKeyError(DomainError):
    """A key operation was refused; the message says why (translated when it is read)."""


def check_source_name(name: str) -> None:
    """Refuse a name that is not a source's (SOURCE_NAME), and the name of the staff's own door."""
    if not SOURCE_NAME.match(name) or name == STAFF_SOURCE:
        raise ApiKeyError(_l("A source name is 2 to 60 characters of a-z, 0-9, _ . - (starting with a letter or "
                             "digit), and not “%(staff)s”.", staff=STAFF_SOURCE))


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    # 32 random bytes are the secret; the hex part after "shl_" doubles as the lookup prefix.
    return f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def get_source(name: str) -> ApiSource | None:
    """The source of this name, if any."""
    return db.session.scalar(sa.select(ApiSource).where(ApiSource.name == name))


def sources_query() -> sa.Select[tuple[ApiSource]]:
    """Every source with its keys, by name (for the admin page and `flask api-key list`)."""
    return sa.select(ApiSource).order_by(ApiSource.name).options(selectinload(ApiSource.keys))


def create(source_name: str, *, actor: Any = None) -> tuple[ApiKey, str]:
    """A new key for the source (created if new); returns the row and the key, shown only now."""
    check_source_name(source_name)
    source = get_source(source_name)
    if source is None:
        source = ApiSource(name=source_name)
        db.session.add(source)
    key = _new_key()
    row = ApiKey(source=source, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key))
    db.session.add(row)
    db.session.flush()
    audit.record("api_key.create", actor=actor, actor_label=None if actor else "cli", obj=row,
                 after={"source": source_name, "prefix": row.prefix})
    return row, key


def revocable(source: ApiSource, prefix: str | None = None) -> list[ApiKey]:
    """What `revoke` would revoke: the source's active keys (or the one with this prefix); refused if none."""
    found = [k for k in source.keys if k.is_active and (prefix is None or k.prefix == prefix)]
    if not found and prefix is None:
        raise ApiKeyError(_l("%(name)s has no active key.", name=source.name))
    if not found:
        raise ApiKeyError(_l("%(name)s has no active key with the prefix %(prefix)s.", name=source.name,
                             prefix=prefix))
    return found


def revoke(source_name: str, *, prefix: str | None = None, actor: Any = None) -> list[ApiKey]:
    """Revoke the source's active keys (or only the one with this prefix); returns those revoked."""
    source = get_source(source_name)
    if source is None:
        raise ApiKeyError(_l("No source is named “%(name)s”.", name=source_name))
    revoked = revocable(source, prefix)
    for row in revoked:
        row.revoked_at = clock.now()
        audit.record("api_key.revoke", actor=actor, actor_label=None if actor else "cli", obj=row,
                     after={"source": source_name, "prefix": row.prefix})
    db.session.flush()
    return revoked


def set_rate_limit(source: ApiSource, limit: int, *, actor: Any) -> None:
    """Change a source's per-key rate limit; never below the contract's floor."""
    if not MIN_RATE_LIMIT <= limit <= MAX_RATE_LIMIT:
        raise ApiKeyError(_l("A rate limit is %(min)s to %(max)s requests per 10 seconds.", min=MIN_RATE_LIMIT,
                             max=MAX_RATE_LIMIT))
    before, source.rate_limit = source.rate_limit, limit
    audit.record("api_source.rate_limit", actor=actor, obj=source, before={"rate_limit": before},
                 after={"rate_limit": limit})


def verify(key: str) -> ApiKey | None:
    """The active key row matching a presented key, else None (unknown, malformed or revoked)."""
    if not KEY_FORMAT.match(key):
        return None  # not one we issue: no query (and no odd characters reach the database)
    digest = hash_key(key)
    rows = db.session.scalars(sa.select(ApiKey).where(ApiKey.prefix == key[:PREFIX_LENGTH]))
    for row in rows:
        # Constant-time comparison, so response timing tells nothing about the stored hash.
        if hmac.compare_digest(row.key_hash, digest):
            return row if row.is_active else None
    return None


def record_use(key_id: int, source_id: int, *, is_error: bool) -> None:
    """Count one request of a key (and an error when it failed), with the time of last use."""
    now = clock.now()
    db.session.execute(sa.update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
    db.session.execute(
        sa.update(ApiSource).where(ApiSource.id == source_id).values(
            last_used_at=now, request_count=ApiSource.request_count + 1,
            error_count=ApiSource.error_count + (1 if is_error else 0),
        )
    )
