"""The referral intake contract, declared once (shared/contracts/referral-intake-api.md).

The models below are the validator of every referral, whichever door it comes through (the API,
the staff form, the file import), and the source of the OpenAPI document (api/document.py). The
static rules (types, patterns, choices, limits, unknown fields) live in the field declarations;
the rules that ask the application (a district loaded, a street of it, the caps, today's date) are
field validators reading `Lookups` from the validation context. `validate` answers the validated
model or the errors, keyed by dotted paths into the posted JSON, each a short English `Message`
that staff pages show translated. Each model's `__doc__` and field descriptions are marked `N_`
too: they are the OpenAPI document's words, shown translated on /api/v1/docs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from marketplace import clock, taxonomy
from marketplace.extensions import db
from marketplace.households.contract_errors import (
    N_,
    REQUIRED_TEXT,
    Errors,
    Message,
    Says,
    check,
    limits,
    refuse,
    unstorable,
)
from marketplace.regions.models import DISTRICT, STREET, Region
from marketplace.settings import service as settings

__all__ = ["Errors", "HouseholdIn", "Lookups", "Message", "NeedIn", "ReferralIn", "check", "limits", "validate"]

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN.rstrip("$"))  # used with fullmatch, as the schema's regex engine
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NEED_KINDS = ("wish", "renovation", "service")
URGENCIES = ("normal", "urgent")
RENOVATION_CAP_FEN = "renovation_cap_fen"
MAX_FEN = 2**63 - 1  # what a BIGINT column holds


# --- what the rules ask the application ---------------------------------------------------------

@dataclass
class Lookups:
    """The application's answers to validation, each read once per run (a request, a batch, a file)."""

    districts: dict[str, bool] = field(default_factory=dict)
    streets: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def is_district(self, code: str) -> bool:
        """Whether the code is a district loaded in the application."""
        if code not in self.districts:
            region = db.session.get(Region, code)
            self.districts[code] = region is not None and region.level == DISTRICT
        return self.districts[code]

    def street(self, district: str, name_or_code: str) -> str | None:
        """The code of the district's street with this name or code, or None."""
        key = (district, name_or_code)
        if key not in self.streets:
            self.streets[key] = db.session.scalar(sa.select(Region.code).where(
                Region.parent_code == district, Region.level == STREET,
                sa.or_(Region.name == name_or_code, Region.code == name_or_code),
            ))
        return self.streets[key]

    @cached_property
    def wish_cap(self) -> int:
        """The admin's cap on a wish, in fen."""
        return settings.get("wish_cap_fen")

    @cached_property
    def renovation_cap(self) -> int:
        """The cap on a renovation, in fen."""
        return settings.get(RENOVATION_CAP_FEN)

    @cached_property
    def today(self) -> date:
        """Today in Guangzhou, by the app's clock."""
        return clock.today()


def _lookups(info: ValidationInfo) -> Lookups:
    context = info.context or {}
    return context.get("lookups") or context.setdefault("lookups", Lookups())


# --- the field types ----------------------------------------------------------------------------

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


def _timestamp(value: Any) -> datetime:
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise refuse(N_("an RFC 3339 time with an offset, e.g. 2026-11-20T10:00:00+08:00"))
    return parsed


def _day(value: Any) -> date:
    try:
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise refuse(N_("a date YYYY-MM-DD"))


def _stripped(value: str | None) -> str | None:
    """Text is kept without its surrounding spaces; text of spaces only is no text."""
    if value is not None and not value.strip():
        raise refuse(REQUIRED_TEXT)
    return value.strip() if value is not None else None


def _choice(values: Any) -> Any:
    return Annotated[Literal[tuple(values)], Says(N_("must be one of: %(choices)s"))]


def _text(max_length: int, *, optional: bool = False) -> Any:
    return Annotated[str | None if optional else str, Field(min_length=1, max_length=max_length, pattern=r"\S"),
                     AfterValidator(_stripped)]


ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN),
                       Says(N_("1-64 characters: letters, digits, _ . : - (not first)"))]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
Day = Annotated[date, BeforeValidator(_day)]
IntegerFrom = Says(N_("an integer from %(ge)s to %(le)s"))
DISTRICT_MESSAGE = N_("a 6-digit district code loaded in the application")
CONTRACT = ConfigDict(extra="forbid", strict=True)  # booleans are no integers, numbers no strings


# --- the contract -------------------------------------------------------------------------------

class HouseholdIn(BaseModel):
    __doc__ = N_("The household the need is for (personal data: seen only by staff of its region).")

    # Once validated, `street` holds the street's 9-digit code, whether its name or code was sent.
    model_config = CONTRACT

    external_id: ExternalId
    category: _choice(taxonomy.HOUSEHOLD_CATEGORIES)
    group: _choice(taxonomy.HOUSEHOLD_GROUPS)
    region_code: Annotated[str, Field(pattern=r"^\d{6}$", description=N_(
        "A district code loaded in the application (Guangzhou: 440103 … 440118).")), Says(DISTRICT_MESSAGE)]
    street: Annotated[str | None, Field(max_length=60, description=N_("Name or 9-digit code of a street of it.")),
                      Says(N_("not a street of this district"))] = None
    members: Annotated[int, Field(ge=1, le=20), IntegerFrom]
    head_name: _text(50)
    phone: Annotated[str | None, Field(max_length=30, pattern=r"^[0-9+\- ]{5,30}$"),
                     Says(N_("digits, spaces, + and - only")), AfterValidator(_stripped)] = None
    address: _text(200, optional=True) = None
    id_number: Annotated[str | None, Field(max_length=18, pattern=r"^(\d{17}[\dXx]|\d{15})$"),
                         Says(N_("an 18-character resident ID number")),
                         AfterValidator(lambda value: value and value.upper())] = None

    @field_validator("region_code")
    @classmethod
    def _loaded_district(cls, code: str, info: ValidationInfo) -> str:
        if not _lookups(info).is_district(code):
            raise refuse(DISTRICT_MESSAGE)
        return code

    @field_validator("street")
    @classmethod
    def _street_of_the_district(cls, street: str | None, info: ValidationInfo) -> str | None:
        district = info.data.get("region_code")
        if not street or district is None:  # no street; or the district's own error is reported
            return None
        code = _lookups(info).street(district, street.strip())
        if code is None:
            raise refuse(N_("not a street of this district"))
        return code


class NeedIn(BaseModel):
    __doc__ = N_("What the household needs.")

    model_config = CONTRACT

    kind: _choice(NEED_KINDS)
    category: _choice(taxonomy.NEED_CATEGORIES)
    title: _text(100)
    description: _text(2000)
    quantity: Annotated[int, Field(ge=1, le=1000), IntegerFrom] = 1
    estimated_value_fen: Annotated[int, Field(ge=0, le=MAX_FEN, description=N_(
        "Total for the whole quantity, in fen. A wish is at most the wish cap (default 200000); a renovation "
        "at most 8000000.")), Says(N_("an integer number of fen, 0 or more"))]
    urgency: _choice(URGENCIES)
    needed_by: Annotated[Day, Field(description=N_("Today or later in Asia/Shanghai."))]

    @field_validator("estimated_value_fen")
    @classmethod
    def _within_the_cap(cls, value: int, info: ValidationInfo) -> int:
        kind, lookups = info.data.get("kind"), _lookups(info)
        if kind == "wish" and value > lookups.wish_cap:
            raise refuse(N_("a wish may be at most %(cap)s fen"), cap=lookups.wish_cap)
        if kind == "renovation" and value > lookups.renovation_cap:
            raise refuse(N_("a renovation may be at most %(cap)s fen"), cap=lookups.renovation_cap)
        return value

    @field_validator("needed_by")
    @classmethod
    def _not_past(cls, value: date, info: ValidationInfo) -> date:
        if value < _lookups(info).today:
            raise refuse(N_("today or later (Asia/Shanghai)"))
        return value


EXAMPLE = {
    "external_id": "GZ-YX-2026-000123",
    "referred_at": "2026-11-20T10:00:00+08:00",
    "household": {
        "external_id": "H-440104-88812", "category": "dibao", "group": "elderly_special_difficulty",
        "region_code": "440104", "street": "北京街道", "members": 1, "head_name": "李桂芳",
        "phone": "13800138000", "address": "越秀区北京路XX号", "id_number": "440104195201011234",
    },
    "need": {
        "kind": "wish", "category": "daily_living", "title": "一台电饭煲",
        "description": "独居老人，原电饭煲损坏，需要一台3升电饭煲。", "quantity": 1,
        "estimated_value_fen": 29900, "urgency": "normal", "needed_by": "2026-12-31",
    },
}


class ReferralIn(BaseModel):
    __doc__ = N_("One referral: a household and its need, under the source's own external id.")

    model_config = ConfigDict(**CONTRACT, json_schema_extra={"examples": [EXAMPLE]})

    external_id: ExternalId
    referred_at: Annotated[Timestamp, Field(description=N_("RFC 3339 with offset; Z accepted."))]
    household: HouseholdIn
    need: NeedIn


# --- validating ---------------------------------------------------------------------------------



def validate(payload: Any, lookups: Lookups | None = None) -> tuple[ReferralIn | None, Errors]:
    """Check a referral payload against the contract; return the validated model or the errors."""
    errors = Errors()
    unstorable(errors, payload, "")
    if errors:  # nothing that cannot be stored may reach a query
        return None, errors
    return check(ReferralIn, payload, {"lookups": lookups or Lookups()})
