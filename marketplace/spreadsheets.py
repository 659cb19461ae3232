"""CSV and XLSX files that a spreadsheet opens as text, never as formulas.

A cell that starts with = + - @ (or a tab or carriage return) is read by Excel, WPS and
LibreOffice as a formula: text typed by an organisation or taken from a referral could then
run when a staff member opens an export. CSV cells get a leading apostrophe (the common
neutraliser); XLSX cells keep their text but are stored as strings with the quote prefix,
so the sheet shows what was typed and never evaluates it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_MAX = 31  # Excel's limit


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet would read this cell as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """The CSV form of one cell: text that would be a formula gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def to_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel in China opens the Chinese text correctly."""
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(cell) for cell in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """A one-sheet workbook whose text cells are all plain text."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:SHEET_TITLE_MAX]
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
