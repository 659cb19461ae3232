"""Whom people can reach: each region's office, and the platform's own office when none is known."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.regions.models import Region

FIELDS = ("office_name", "office_phone", "office_address")


class OfficeError(DomainError):
    """An office contact was refused."""


@dataclass(frozen=True)
class Office:
    """A contact shown to residents, donors and organisations."""

    name: str
    phone: str
    address: str
    email: str = ""


def site_office() -> Office:
    """The platform operator's office, from the deployment settings."""
    config = current_app.config
    return Office(config.get("OFFICE_NAME", ""), config.get("OFFICE_PHONE", ""),
                  config.get("OFFICE_ADDRESS", ""), config.get("OFFICE_EMAIL", ""))


def office_of(region: Region | None) -> Office:
    """The nearest office with a phone: the street's, its district's, else the platform's."""
    while region is not None:
        if region.office_phone:
            return Office(region.office_name or region.full_name, region.office_phone, region.office_address)
        region = region.parent
    return site_office()


def set_office(region: Region, *, name: str, phone: str, address: str, actor: Any) -> None:
    """Change a region's office contact, with an audit record of before and after."""
    if (name or address) and not phone:
        raise OfficeError(_l("give the office's phone number: it is what people use"))
    before = {field: getattr(region, field) for field in FIELDS}
    region.office_name, region.office_phone, region.office_address = name, phone, address
    after = {field: getattr(region, field) for field in FIELDS}
    if after != before:
        audit.record("region.office", actor=actor, object_type="regions", object_id=region.code,
                     region_code=region.code, before=before, after=after)
