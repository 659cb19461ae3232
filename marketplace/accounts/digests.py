"""Keyed hashes for sign-in: throttle buckets, audit labels of unknown emails, recovery codes.

HMAC-SHA256 with the server's HASH_KEY, separated by purpose: what they identify (an email someone
typed, a client address, a recovery code) is never kept in the clear, yet the same input always
gives the same digest, so counters and look-ups work.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 (hex) of `value` under HASH_KEY, for one purpose."""
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def email_label(normalised_email: str) -> str:
    """How the audit log names an email that has no account: a short digest, never the text typed."""
    return "email#" + keyed_hash("audit-email", normalised_email)[:16]
