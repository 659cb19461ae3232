"""The application's notion of "now", injectable so tests and jobs can move time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from marketplace.db import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time (UTC, aware); `app.config["CLOCK"]` may replace it with a callable."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else utcnow()


def local_date(moment: datetime) -> date:
    """The calendar date in Guangzhou at a moment."""
    return moment.astimezone(SHANGHAI).date()
