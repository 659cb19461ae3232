"""Charts as data: what static/js/charts.js draws with Apache ECharts, and the table shown with it.

A page puts a chart in a data attribute (`templates/_chart.html`: `data-chart='{{ chart|tojson }}'`),
never in an inline script, which the CSP (script-src 'self') forbids. The same figures are rendered
as a plain table beside it, so the page reads without JavaScript, prints, and is accessible; tests
read either. Labels and names arrive translated: they are built while the request's locale is set.
See docs/charts.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date

# The colours a series may ask for; static/css/app.css defines each as --chart-<name>.
COLOURS = ("opened", "closed", "count", "booked", "redeemed", "pledged", "red", "yellow", "green")


@dataclass
class Series:
    """One row of figures: its name in the legend, a value per label, its colour and how it is drawn."""

    name: str
    values: list[int | float | None]
    colour: str
    kind: str = "bar"  # "bar" or "line"
    stack: str | None = None  # series with the same stack are drawn on top of each other

    def __post_init__(self) -> None:
        if self.colour not in COLOURS or self.kind not in ("bar", "line"):
            raise ValueError(f"unknown colour {self.colour!r} or kind {self.kind!r}")


@dataclass
class Chart:
    """A category chart: one label per bar group or point, one or more series, named axes."""

    title: str  # the chart's accessible name and the table's caption
    labels: list[str]  # the category axis, short ("11-03", "助餐")
    series: list[Series]
    label_axis: str  # the category axis's name ("Week starting")
    value_axis: str  # the value axis's name ("Needs")
    horizontal: bool = False  # categories down the side: long words stay readable on a phone
    long_labels: list[str] = field(default_factory=list)  # for the table and tooltips ("2026-11-03")

    def __post_init__(self) -> None:
        if any(len(s.values) != len(self.labels) for s in self.series):
            raise ValueError("every series needs one value per label")
        if self.long_labels and len(self.long_labels) != len(self.labels):
            raise ValueError("long labels must match the labels")

    @property
    def is_empty(self) -> bool:
        """Nothing to draw: no labels, or every value zero or missing."""
        return not self.labels or not any(v for s in self.series for v in s.values)

    def rows(self) -> list[list[Any]]:
        """The figures as table rows: the (long) label, then one value per series."""
        names = self.long_labels or self.labels
        return [[name, *(s.values[i] for s in self.series)] for i, name in enumerate(names)]

    def data(self) -> dict[str, Any]:
        """What the data attribute carries to charts.js (JSON-ready)."""
        return {
            "title": self.title, "labels": self.labels, "long_labels": self.long_labels or self.labels,
            "label_axis": self.label_axis, "value_axis": self.value_axis, "horizontal": self.horizontal,
            "series": [{"name": s.name, "values": s.values, "colour": s.colour, "kind": s.kind, "stack": s.stack}
                       for s in self.series],
        }


def day_label(day: date) -> str:
    """A date on an axis: month and day ("11-03"), the same in every language and short enough for a phone."""
    return format_date(day, "MM-dd")


def long_day_label(day: date) -> str:
    """A date in a table or tooltip: the full ISO date, which sorts and reads alike in zh and en."""
    return day.isoformat()
