"""What every staff and admin list offers besides its filters: sorting by a column and an export.

A list declares its columns once (`Column`: the heading, the SQL it may be sorted by, the value a
row exports); the page's headings, the `sort=` parameter and the CSV/XLSX export all read that one
declaration, so the export is exactly the filtered list in the page's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l

from marketplace import spreadsheets
from marketplace.errors import DomainError
from marketplace.extensions import db

EXPORT_LIMIT = 10_000  # rows in one file; a larger list asks for narrower filters
FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportTooLarge(DomainError):
    """More rows than one file holds."""


@dataclass(frozen=True)
class Column:
    """One column of a list: its heading, what it sorts by (None: not sortable), what a row exports."""

    key: str
    label: Any
    sort: Any = None
    cell: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Sorting:
    """The order a list is shown in: a column key and its direction."""

    key: str
    descending: bool

    def arg(self, key: str) -> str:
        """The `sort=` value a heading links to: this column ascending, or reversed when it is current."""
        if self.key != key:
            return key
        return key if self.descending else "-" + key

    def mark(self, key: str) -> str:
        """▲ or ▼ beside the current column's heading."""
        return ("▼" if self.descending else "▲") if self.key == key else ""


def sorted_by(query: sa.Select, columns: Sequence[Column], default: str, tiebreak: Any) -> tuple[sa.Select, Sorting]:
    """The query in the order `?sort=` asks for (`key` or `-key`), else `default`; `tiebreak` keeps pages stable."""
    sortable = {c.key: c for c in columns if c.sort is not None}
    asked = request.args.get("sort", default)[:40]
    key = asked.lstrip("-")
    if key not in sortable:
        asked, key = default, default.lstrip("-")
    descending = asked.startswith("-")
    expression = sortable[key].sort
    order = expression.desc() if descending else expression.asc()
    return query.order_by(None).order_by(order, tiebreak.desc() if descending else tiebreak), Sorting(key, descending)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    if isinstance(value, date):
        return format_date(value, "yyyy-MM-dd")
    if value is None:
        return ""
    return value if isinstance(value, int | float) else str(value)


def rows_of(query: sa.Select, columns: Sequence[Column]) -> list[list[Any]]:
    """The heading row and one row per item, as the export writes them (refused past EXPORT_LIMIT)."""
    items = db.session.scalars(query.limit(EXPORT_LIMIT + 1)).unique().all()
    if len(items) > EXPORT_LIMIT:
        raise ExportTooLarge(_l("More than %(n)s rows: narrow the filters and export again.", n=EXPORT_LIMIT))
    exported = [c for c in columns if c.cell is not None]
    return [[str(c.label) for c in exported]] + [[_plain(c.cell(item)) for c in exported] for item in items]


def export(query: sa.Select, columns: Sequence[Column], fmt: str, name: str, *, back: str) -> Response:
    """The filtered list as a CSV or XLSX file named `shanlian-<name>.<fmt>`; too long a list goes
    `back` to the page with a message asking for narrower filters."""
    if fmt not in FORMATS:
        abort(404)
    try:
        rows = rows_of(query, columns)
    except ExportTooLarge as refused:
        flash(refused.message, "error")
        return redirect(back)
    body = spreadsheets.to_csv(rows) if fmt == "csv" else spreadsheets.to_xlsx(rows, name)
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=f"shanlian-{name}.{fmt}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
