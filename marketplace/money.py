"""Money: amounts are integer fen everywhere; people read them through Babel's currency formatting."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency
from flask_babel import get_locale

CURRENCY = "CNY"


def yuan(fen: int | None) -> Decimal:
    """An amount in fen as exact yuan."""
    return Decimal(fen or 0) / 100


def fen_of(amount: Decimal | int | None) -> int:
    """Yuan (as a form gives them) to integer fen."""
    return int((Decimal(amount) if amount is not None else Decimal(0)) * 100)


def show(fen: int | None) -> str:
    """An amount for the reader, in their locale ("¥1,500.00"); the `yuan` template filter."""
    return _shown(fen or 0, str(get_locale() or "zh_Hans"))


@lru_cache(maxsize=8192)
def _shown(fen: int, locale: str) -> str:
    # Babel reads the locale's currency pattern and applies it on every call (about 70 µs); a list
    # page shows dozens of amounts, and amounts repeat, so each (amount, locale) is formatted once.
    return format_currency(yuan(fen), CURRENCY, locale=locale)


def input_value(fen: int | None) -> str:
    """An amount as a form field shows it for editing: plain yuan with two decimals."""
    return f"{yuan(fen):.2f}"
