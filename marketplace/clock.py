"""Time has one home: the zone the app lives in, "now" and "today", all injectable.

`app.config["CLOCK"]` may be a callable returning an aware datetime: tests and the simulation
move time with it, and every timestamp the app writes (column defaults, audit rows, the change
feed) reads it through `now()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

SHANGHAI = ZoneInfo("Asia/Shanghai")  # Guangzhou's zone; the only place it is defined


def system_now() -> datetime:
    """The machine's time, as an aware UTC datetime (what `now()` reads unless a clock is injected)."""
    return datetime.now(UTC)


def now() -> datetime:
    """The current time (UTC, aware); `app.config["CLOCK"]` may replace it with a callable."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else system_now()


def local_date(moment: datetime) -> date:
    """The calendar date in Guangzhou at a moment."""
    return moment.astimezone(SHANGHAI).date()


def today() -> date:
    """Today's date in Guangzhou, by the injectable clock."""
    return local_date(now())


def local(moment: datetime) -> datetime:
    """A moment shown in Guangzhou time."""
    return moment.astimezone(SHANGHAI)
