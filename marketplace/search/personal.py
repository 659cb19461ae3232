"""Exact lookups on personal data through keyed hashes: the database never sees a searched value.

A household's name, phone and ID number are stored for the staff who may read them, but a search
compares HMAC-SHA256 digests (keyed with HASH_KEY, separated by purpose) against indexed digest
columns, so neither the query nor its index holds the value in a form that can be read back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from flask import current_app

NAME, PHONE, ID_NUMBER = "name", "phone", "id_number"
_ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{15}")


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of the value with the server's HASH_KEY, separated by purpose."""
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def normal_name(text: str) -> str:
    """A name as compared: full-width folded, no spaces or middle dots."""
    return re.sub(r"[\s·・.]", "", unicodedata.normalize("NFKC", text or ""))


def normal_phone(text: str) -> str:
    """Digits only, the country code dropped (+86 138…, 020-8333 0000 → 02083330000)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text or ""))
    if digits.startswith("86") and len(digits) in (12, 13, 14):
        digits = digits[2:] if digits[2] == "1" else "0" + digits[2:]
    return digits


def normal_id_number(text: str) -> str:
    """A resident ID number as compared: full-width folded, no spaces, X in upper case."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).upper()


def digest(purpose: str, text: str) -> str | None:
    """The lookup key of a value, or None when there is nothing to look up."""
    normal = {NAME: normal_name, PHONE: normal_phone, ID_NUMBER: normal_id_number}[purpose](text)
    return keyed_hash(purpose, normal) if normal else None


def looks_like(text: str) -> str:
    """What a typed value probably is, to say in the audit log without the value: id_number, phone or name."""
    if _ID_NUMBER.fullmatch(normal_id_number(text)):
        return ID_NUMBER
    if len(normal_phone(text)) >= 7 and not re.search(r"[^\d\s+()\-]", text):
        return PHONE
    return NAME
