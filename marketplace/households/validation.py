"""Validation of a referral exactly as the intake contract defines it (docs/api.md, shared/contracts).

Used by the staff form, the file import and the API alike, so a referral is judged the same way
whichever door it comes through. Errors are keyed by dotted JSON paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace import taxonomy
from marketplace.extensions import db
from marketplace.regions.models import DISTRICT, STREET, Region
from marketplace.settings import service as settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
RENOVATION_CAP_FEN = "renovation_cap_fen"

TOP_FIELDS = {"external_id", "referred_at", "household", "need"}
HOUSEHOLD_REQUIRED = {"external_id", "category", "group", "region_code", "members", "head_name"}
HOUSEHOLD_OPTIONAL = {"street", "phone", "address", "id_number"}
NEED_REQUIRED = {"kind", "category", "title", "description", "estimated_value_fen", "urgency", "needed_by"}
NEED_OPTIONAL = {"quantity"}
NEED_KINDS = ("wish", "renovation", "service")
URGENCIES = ("normal", "urgent")
MAX_FEN = 2**63 - 1  # what a BIGINT column holds


@dataclass
class CleanReferral:
    """A referral that passed validation, with typed values."""

    external_id: str
    referred_at: datetime
    household_external_id: str
    category: str
    group: str
    district_code: str
    street_code: str | None
    members: int
    head_name: str
    phone: str
    address: str
    id_number: str
    need_kind: str
    need_category: str
    title: str
    description: str
    quantity: int
    estimated_value_fen: int
    urgency: str
    needed_by: date


class Errors(dict[str, str]):
    """Field path → message; empty when valid."""


def parse_rfc3339(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with an offset (or Z), else None (also when it cannot be stored in UTC)."""
    if not isinstance(value, str) or not RFC3339.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        parsed.astimezone(UTC)  # 0001-01-01T00:00+01:00 has no UTC time: refuse it here, not at INSERT
    except (ValueError, OverflowError):
        return None
    return parsed


def today_shanghai() -> date:
    """Today's date in Guangzhou."""
    return datetime.now(SHANGHAI).date()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors: Errors, obj: dict, key: str, path: str, max_len: int, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        errors[path] = "required text" if value is None or isinstance(value, str) else "must be a string"
    elif len(value) > max_len:
        errors[path] = f"at most {max_len} characters"
    return value.strip() if isinstance(value, str) else ""


def _choice(errors: Errors, obj: dict, key: str, path: str, allowed: Any) -> str:
    value = obj.get(key)
    if value not in allowed:
        errors[path] = "must be one of: " + ", ".join(allowed)
        return ""
    return value


def _unknown(errors: Errors, obj: dict, allowed: set[str], prefix: str) -> None:
    for key in obj:
        if key not in allowed:
            errors[f"{prefix}{key}"] = "unknown field"


def _nul_characters(errors: Errors, value: Any, path: str) -> None:
    """Refuse NUL characters anywhere: PostgreSQL cannot store them in text."""
    if isinstance(value, str) and "\x00" in value:
        errors[path or "$"] = "must not contain NUL characters"
    elif isinstance(value, dict):
        for key, item in value.items():
            _nul_characters(errors, item, f"{path}.{key}" if path else str(key))


def _missing(errors: Errors, obj: dict, required: set[str], prefix: str) -> None:
    for key in sorted(required):
        if key not in obj or obj[key] is None:
            errors[f"{prefix}{key}"] = "required"


def validate(payload: Any) -> tuple[CleanReferral | None, Errors]:
    """Check a referral payload against the contract; return the clean value or the errors."""
    errors = Errors()
    if not isinstance(payload, dict):
        errors["$"] = "must be a JSON object"
        return None, errors
    _nul_characters(errors, payload, "")
    if errors:  # nothing with a NUL character may reach a query
        return None, errors
    _unknown(errors, payload, TOP_FIELDS, "")
    _missing(errors, payload, TOP_FIELDS, "")
    household = payload.get("household")
    need = payload.get("need")
    if "household" in payload and not isinstance(household, dict):
        errors["household"] = "must be an object"
    if "need" in payload and not isinstance(need, dict):
        errors["need"] = "must be an object"
    ext = payload.get("external_id")
    if "external_id" in payload and not (isinstance(ext, str) and EXTERNAL_ID.match(ext)):
        errors["external_id"] = "1-64 characters: letters, digits, _ . : - (not first)"
    referred_at = parse_rfc3339(payload.get("referred_at"))
    if "referred_at" in payload and referred_at is None:
        errors["referred_at"] = "an RFC 3339 time with an offset, e.g. 2026-11-20T10:00:00+08:00"
    h = _household(errors, household) if isinstance(household, dict) else None
    n = _need(errors, need) if isinstance(need, dict) else None
    if errors or h is None or n is None or referred_at is None:
        return None, errors
    return CleanReferral(external_id=ext, referred_at=referred_at, **h, **n), errors


def _household(errors: Errors, h: dict) -> dict[str, Any]:
    p = "household."
    _unknown(errors, h, HOUSEHOLD_REQUIRED | HOUSEHOLD_OPTIONAL, p)
    _missing(errors, h, HOUSEHOLD_REQUIRED, p)
    ext = h.get("external_id")
    if "external_id" in h and not (isinstance(ext, str) and EXTERNAL_ID.match(ext)):
        errors[p + "external_id"] = "1-64 characters: letters, digits, _ . : - (not first)"
    category = _choice(errors, h, "category", p + "category", tuple(taxonomy.HOUSEHOLD_CATEGORIES))
    group = _choice(errors, h, "group", p + "group", tuple(taxonomy.HOUSEHOLD_GROUPS))
    district_code, street_code = _region(errors, h)
    members = h.get("members")
    if "members" in h and not (_is_int(members) and 1 <= members <= 20):
        errors[p + "members"] = "an integer from 1 to 20"
    head_name = _text(errors, h, "head_name", p + "head_name", 50) if "head_name" in h else ""
    phone = _text(errors, h, "phone", p + "phone", 30, required=False)
    if phone and not re.fullmatch(r"[0-9+\- ]{5,30}", phone):
        errors[p + "phone"] = "digits, spaces, + and - only"
    address = _text(errors, h, "address", p + "address", 200, required=False)
    id_number = _text(errors, h, "id_number", p + "id_number", 18, required=False)
    if id_number and not re.fullmatch(r"\d{17}[\dXx]|\d{15}", id_number):
        errors[p + "id_number"] = "an 18-character resident ID number"
    return {
        "household_external_id": ext, "category": category, "group": group, "district_code": district_code,
        "street_code": street_code, "members": members, "head_name": head_name, "phone": phone,
        "address": address, "id_number": id_number.upper(),
    }


def _region(errors: Errors, h: dict) -> tuple[str, str | None]:
    p = "household."
    code = h.get("region_code")
    if "region_code" not in h:
        return "", None
    region = db.session.get(Region, code) if isinstance(code, str) and re.fullmatch(r"\d{6}", code) else None
    if region is None or region.level != DISTRICT:
        errors[p + "region_code"] = "a 6-digit district code loaded in the application"
        return "", None
    street = h.get("street")
    if street is None or street == "":
        return code, None
    if not isinstance(street, str):
        errors[p + "street"] = "must be a string"
        return code, None
    found = db.session.scalar(
        sa.select(Region.code).where(
            Region.parent_code == code, Region.level == STREET,
            sa.or_(Region.name == street.strip(), Region.code == street.strip()),
        )
    )
    if found is None:
        errors[p + "street"] = "not a street of this district"
    return code, found


def _need(errors: Errors, n: dict) -> dict[str, Any]:
    p = "need."
    _unknown(errors, n, NEED_REQUIRED | NEED_OPTIONAL, p)
    _missing(errors, n, NEED_REQUIRED, p)
    kind = _choice(errors, n, "kind", p + "kind", NEED_KINDS)
    category = _choice(errors, n, "category", p + "category", tuple(taxonomy.NEED_CATEGORIES))
    title = _text(errors, n, "title", p + "title", 100) if "title" in n else ""
    description = _text(errors, n, "description", p + "description", 2000) if "description" in n else ""
    quantity = n.get("quantity", 1)
    if not (_is_int(quantity) and 1 <= quantity <= 1000):
        errors[p + "quantity"] = "an integer from 1 to 1000"
    value = n.get("estimated_value_fen")
    if "estimated_value_fen" in n and not (_is_int(value) and 0 <= value <= MAX_FEN):
        errors[p + "estimated_value_fen"] = "an integer number of fen, 0 or more"
    elif _is_int(value) and kind == "wish" and value > settings.get("wish_cap_fen"):
        errors[p + "estimated_value_fen"] = f"a wish may be at most {settings.get('wish_cap_fen')} fen"
    elif _is_int(value) and kind == "renovation" and value > settings.get(RENOVATION_CAP_FEN):
        errors[p + "estimated_value_fen"] = f"a renovation may be at most {settings.get(RENOVATION_CAP_FEN)} fen"
    urgency = _choice(errors, n, "urgency", p + "urgency", URGENCIES)
    needed_by = _date(errors, n, "needed_by", p + "needed_by")
    return {
        "need_kind": kind, "need_category": category, "title": title, "description": description,
        "quantity": quantity, "estimated_value_fen": value, "urgency": urgency, "needed_by": needed_by,
    }


def _date(errors: Errors, obj: dict, key: str, path: str) -> date | None:
    value = obj.get(key)
    if key not in obj:
        return None
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors[path] = "a date YYYY-MM-DD"
    elif parsed < today_shanghai():
        errors[path] = "today or later (Asia/Shanghai)"
    return parsed
