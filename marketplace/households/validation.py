"""Names that other features still import from here; the referral contract itself is `contract.py`."""

from __future__ import annotations

from datetime import date

from marketplace import clock
from marketplace.households.contract import parse_rfc3339

SHANGHAI = clock.SHANGHAI
__all__ = ["SHANGHAI", "parse_rfc3339", "today_shanghai"]


def today_shanghai() -> date:
    """Today's date in Guangzhou (`clock.today()`, which new code calls directly)."""
    return clock.today()
