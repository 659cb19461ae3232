"""Keeping people's identities out of every text organisations and the public read (docs/privacy.md).

`refuse_leaks(household, title=..., story=...)` is called by every operation that writes such a
text; it raises `PrivacyError` naming the field and the offending words. `leaks_in()` answers the
same question for one text (the `flask privacy scan` command reads published texts with it).
The rules themselves are in `household.py` (this household's name, address, phone and ID digits)
and `patterns.py` (addresses, phone and ID numbers of anyone), over the normalised text of
`normalise.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError
from marketplace.needs.privacy import household as of_household
from marketplace.needs.privacy import patterns


class LeakKind(StrEnum):
    """What a fragment gives away."""

    NAME = "name"
    GIVEN_NAME = "given_name"
    ADDRESS = "address"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    STREET_ADDRESS = "street_address"
    MOBILE = "mobile"
    LANDLINE = "landline"
    ID_SHAPE = "id_shape"
    LONG_NUMBER = "long_number"


LABELS = {
    LeakKind.NAME: _l("the household head's name"),
    LeakKind.GIVEN_NAME: _l("the household head's given name"),
    LeakKind.ADDRESS: _l("part of the household's address"),
    LeakKind.PHONE: _l("digits of the household's phone number"),
    LeakKind.ID_NUMBER: _l("digits of the household's ID number"),
    LeakKind.STREET_ADDRESS: _l("a street address"),
    LeakKind.MOBILE: _l("a mobile number"),
    LeakKind.LANDLINE: _l("a phone number"),
    LeakKind.ID_SHAPE: _l("an ID number"),
    LeakKind.LONG_NUMBER: _l("a long number (card, account or phone)"),
}
FIELD_LABELS = {
    "title": _l("The public title"), "story": _l("The public story"), "description": _l("The plan line"),
    "quantity": _l("The plan line's quantity"), "reason": _l("The reason"), "caption": _l("The caption"),
}
Check = Callable[[str, Any], Iterator[tuple[str, int, int]]]
# The household's own data first: a refusal then says whose data it is.
HOUSEHOLD_CHECKS: tuple[Check, ...] = (of_household.names, of_household.address, of_household.phone_and_id)
GENERAL_CHECKS = (patterns.street_addresses, patterns.phone_and_id_numbers)
# A general shape that holds a few of the household's characters is reported whole, as that shape.
_DIGITS = frozenset({LeakKind.PHONE, LeakKind.ID_NUMBER})
WIDER = {LeakKind.STREET_ADDRESS: frozenset({LeakKind.ADDRESS}), LeakKind.MOBILE: _DIGITS,
         LeakKind.LANDLINE: _DIGITS, LeakKind.ID_SHAPE: _DIGITS, LeakKind.LONG_NUMBER: _DIGITS}


@dataclass(frozen=True)
class Leak:
    """One fragment of a text that identifies someone, as the writer typed it."""

    kind: str
    fragment: str
    start: int
    end: int

    @property
    def what(self) -> str:
        """What it gives away, in the reader's language."""
        return str(LABELS[LeakKind(self.kind)])


def leaks_in(text: str, household: Any = None) -> list[Leak]:
    """Every fragment of `text` that identifies the household or anyone, in the order they appear."""
    text = text or ""
    found: list[Leak] = []
    checks = [(check, (text, household)) for check in HOUSEHOLD_CHECKS] if household is not None else []
    checks += [(check, (text,)) for check in GENERAL_CHECKS]
    for check, args in checks:
        for kind, start, end in check(*args):  # type: ignore[operator]
            overlapping = [other for other in found if start < other.end and other.start < end]
            # Someone else's whole ID number beats the few digits it shares with this household's.
            wider = all(o.kind in WIDER.get(kind, ()) and start <= o.start and o.end <= end
                        and (o.start, o.end) != (start, end) for o in overlapping)
            if not overlapping or wider:
                found = [other for other in found if other not in overlapping]
                found.append(Leak(kind, text[start:end], start, end))
    return sorted(found, key=lambda leak: leak.start)


def personal_data_in(text: str, household: Any = None) -> Leak | None:
    """The first fragment of `text` that identifies someone, or None."""
    leaks = leaks_in(text, household)
    return leaks[0] if leaks else None


class _Refusal:
    """The message of a PrivacyError, put together in the reader's language when it is read."""

    def __init__(self, field: str, leaks: list[Leak]) -> None:
        self.field, self.leaks = field, leaks

    def __str__(self) -> str:
        first = self.leaks[0]
        message = _l("%(field)s contains %(what)s: “%(fragment)s”. Leave it out; a surname with an honorific "
                     "(简伯伯, L女士) is fine.", field=FIELD_LABELS.get(self.field, _l("The text")),
                     what=first.what, fragment=first.fragment)
        more = len(self.leaks) - 1
        return str(message) + (str(_l(" (%(n)s more in the same text)", n=more)) if more else "")


class PrivacyError(DomainError):
    """A public text identifies someone; `field` says which text, `leaks` what in it."""

    def __init__(self, field: str, leaks: list[Leak]) -> None:
        super().__init__(field)
        self.field, self.leaks = field, leaks
        self.message = _Refusal(field, leaks)


def refuse_leaks(household: Any, **texts: str) -> None:
    """Refuse (PrivacyError) the first of the named public texts that identifies someone."""
    for field, text in texts.items():
        leaks = leaks_in(text, household)
        if leaks:
            raise PrivacyError(field, leaks)
