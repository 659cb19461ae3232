"""Reading a page's charts as a test sees them: the data attribute charts.js draws from, and the table
of the same figures under it (what a reader without JavaScript, a printer or a screen reader gets)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any


class _Charts(HTMLParser):
    """Collects each chart element's data and each table's cells, by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[dict[str, str | None]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-chart" in found:
            self.charts[found["id"] or ""] = json.loads(found["data-chart"] or "")
        if tag == "script":
            self.scripts.append(found)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def read(page: str) -> _Charts:
    """The charts, tables and script tags of an HTML page."""
    parser = _Charts()
    parser.feed(page)
    return parser


def chart(page: str, name: str) -> dict[str, Any]:
    """The data of the chart `chart-<name>`."""
    return read(page).charts[f"chart-{name}"]


def table(page: str, name: str) -> list[list[str]]:
    """The rows (header first) of the figures table under the chart `chart-<name>`."""
    return read(page).tables[f"chart-{name}-table"]


def series(data: dict[str, Any]) -> dict[str, list[Any]]:
    """A chart's series by name."""
    return {s["name"]: s["values"] for s in data["series"]}
