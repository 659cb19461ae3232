"""Phone numbers become keyed hashes at the door: the number itself is never stored or logged."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")  # area code + number, e.g. 020 8333 0000


def normalise(text: str | None) -> str | None:
    """Digits of a Chinese mobile or landline number (country code dropped), or None if not one."""
    digits = re.sub(r"\D", "", text or "")
    if digits.startswith("86") and len(digits) in (13, 12, 14):
        digits = digits[2:]
        if not digits.startswith("1"):
            digits = "0" + digits
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 with the server's HASH_KEY, separated by purpose."""
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def phone_hash(normalised: str) -> str:
    """The only form in which a resident's phone number is kept."""
    return keyed_hash("phone", normalised)
