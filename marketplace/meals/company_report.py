"""What a company's meal page shows of its counts, as a chart and as a spreadsheet (counts only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from marketplace.charts import Chart, Series, day_label, long_day_label
from marketplace.meals.reports import DayCounts

FIGURES = ("pledged", "booked", "redeemed", "expired", "waiting")


def per_day(rows: list[DayCounts], start: date, end: date) -> list[DayCounts]:
    """The counts of all outlets summed per day, every day of [start, end] oldest first (zeros included)."""
    days = {start + timedelta(days=i): DayCounts(0, start + timedelta(days=i)) for i in range((end - start).days + 1)}
    for row in rows:
        total = days[row.day]
        for name in FIGURES:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return list(days.values())


def chart(rows: list[DayCounts], start: date, end: date) -> Chart:
    """Meals booked and redeemed per day against the meals pledged, all outlets together."""
    days = per_day(rows, start, end)
    return Chart(
        title=_("Meals booked and redeemed per day, all our outlets"),
        labels=[day_label(d.day) for d in days], long_labels=[long_day_label(d.day) for d in days],
        label_axis=_("Day"), value_axis=_("Number of meals"),
        series=[Series(_("pledged"), [d.pledged for d in days], "pledged", kind="line"),
                Series(_("booked"), [d.booked for d in days], "booked"),
                Series(_("redeemed"), [d.redeemed for d in days], "redeemed")],
    )


def export_rows(rows: list[DayCounts], totals: dict[int, DayCounts], names: dict[int, str]) -> list[list[Any]]:
    """The page's table of meals per outlet and day, with its totals, as spreadsheet rows."""
    header = [_("Day"), _("Outlet"), _("pledged"), _("booked"), _("redeemed"), _("expired"), _("still to come")]
    body = [[r.day.isoformat(), names.get(r.outlet_id, ""), *(getattr(r, n) for n in FIGURES)] for r in rows]
    sums = [[_("Total"), names.get(key, ""), *(getattr(t, n) for n in FIGURES)] for key, t in totals.items()]
    return [header, *body, *sums]
