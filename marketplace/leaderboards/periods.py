"""Calendar periods in Asia/Shanghai: weeks from Monday, months, years."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from marketplace.clock import SHANGHAI


def start_of(period: str, day: date) -> date:
    """The first day of the period containing `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_start(period: str, start: date) -> date:
    """The first day of the following period."""
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


def previous_start(period: str, start: date) -> date:
    """The first day of the period before."""
    return start_of(period, start - timedelta(days=1))


def midnight(day: date) -> datetime:
    """The start of a day in Guangzhou, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware datetimes, midnight to midnight in Guangzhou."""
    return midnight(start), midnight(end)
