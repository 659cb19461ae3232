"""Serving days and hours in Guangzhou time, turned into the UTC instants vouchers carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from marketplace import clock
from marketplace.clock import SHANGHAI, local_date
from marketplace.meals.models import Outlet


def now() -> datetime:
    """The application's current time (injectable through `app.config["CLOCK"]`)."""
    return clock.now()


def serving_window(outlet: Outlet, day: date) -> tuple[datetime, datetime]:
    """When `outlet` serves on `day`, as aware UTC datetimes [from, until)."""
    start = datetime.combine(day, outlet.serves_from, SHANGHAI).astimezone(UTC)
    end = datetime.combine(day, outlet.serves_until, SHANGHAI).astimezone(UTC)
    return start, end


def bookable_days(moment: datetime) -> tuple[date, date]:
    """Residents book for today or tomorrow (Guangzhou calendar)."""
    today = local_date(moment)
    return today, today + timedelta(days=1)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Guangzhou wall-clock time as an aware UTC datetime (for tests, demo data and jobs)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


__all__ = ["SHANGHAI", "at_local", "bookable_days", "local_date", "now", "serving_window"]
