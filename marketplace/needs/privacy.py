"""Keeping households' identities out of anything organisations and the public read."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def personal_data_in(text: str, household: Any) -> Any:
    """Which piece of personal data (if any) a public text contains: name, phone, ID or address."""
    compact = re.sub(r"\s+", "", text)
    name = (household.head_name or "").strip()
    if len(name) >= 2 and name in compact:
        return _l("name")
    phone = _digits(household.phone or "")
    if len(phone) >= 7 and phone in _digits(text):
        return _l("phone number")
    id_number = (household.id_number or "").upper()
    if id_number and id_number in compact.upper():
        return _l("ID number")
    address = re.sub(r"\s+", "", household.address or "")
    if len(address) >= 6 and address in compact:
        return _l("address")
    return None
