"""Referrals imported from a CSV or Excel (.xlsx) file that staff upload (docs/referral-import.md).

Each row is turned into a referral in the intake contract's shape and goes through
`intake.receive` like any other referral, inside a savepoint of its own: good rows are imported,
a bad row writes nothing and is reported with its line and column as the user sees them in the
file. A file that cannot be read as a whole (not a table, undecodable, wrong header, too many rows)
is refused with `ImportFileError` before anything is written. No other exception escapes for any
input bytes. Like every operation, this only flushes: the caller commits.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.clock import SHANGHAI
from marketplace.db import declare_write
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.contract import RFC3339, Errors, Lookups
from marketplace.households.models import STAFF_SOURCE, Household

MAX_ROWS = 5000
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # a 5,000-row workbook unpacks to a few MiB; refuse zip bombs

# Column name in the file → dotted path in the contract's JSON (the order is the template's).
PATHS: dict[str, str] = {
    "external_id": "external_id",
    "referred_at": "referred_at",
    "household_external_id": "household.external_id",
    "household_category": "household.category",
    "household_group": "household.group",
    "region_code": "household.region_code",
    "street": "household.street",
    "members": "household.members",
    "head_name": "household.head_name",
    "phone": "household.phone",
    "address": "household.address",
    "id_number": "household.id_number",
    "need_kind": "need.kind",
    "need_category": "need.category",
    "title": "need.title",
    "description": "need.description",
    "quantity": "need.quantity",
    "estimated_value_fen": "need.estimated_value_fen",
    "urgency": "need.urgency",
    "needed_by": "need.needed_by",
}
COLUMNS = tuple(PATHS)
COLUMN_OF_PATH = {path: column for column, path in PATHS.items()}
INTEGER_COLUMNS = {"members", "quantity", "estimated_value_fen"}
CODE_COLUMNS = {"household_category", "household_group", "need_kind", "need_category", "urgency"}

INTEGER = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.0*)?")  # 2, 2.0, 29,900 (Excel's display format)
LOOSE_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
LOOSE_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BINARY_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": _l("a PNG image"),
    b"\xff\xd8\xff": _l("a JPEG image"),
    b"GIF8": _l("a GIF image"),
    b"RIFF": _l("an image or media file"),
    b"%PDF": _l("a PDF document"),
    b"\x1f\x8b": _l("a compressed archive"),
    b"Rar!": _l("a compressed archive"),
    b"7z\xbc\xaf": _l("a compressed archive"),
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls) and Word (.doc) files
ZIP = b"PK\x03\x04"


class ImportFileError(DomainError):
    """The file as a whole cannot be imported; nothing was written. `code` names the reason."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(message)  # `message` (DomainError) translates it when read
        self.code = code


@dataclass(frozen=True)
class RowError:
    """One problem of one row: the line and column as the user sees them in the file."""

    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import did: rows read, referrals created, replays found, and the bad rows."""

    rows: int = 0
    created: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        """How many rows were refused (a row may have several errors)."""
        return len({e.line for e in self.errors})

    def add(self, line: int, column: str, message: Any) -> None:
        """Record one problem of a row."""
        self.errors.append(RowError(line, column, str(message)))

    def add_invalid(self, line: int, errors: Errors) -> None:
        """Record a row's validation errors, named by column rather than JSON path, in the reader's language."""
        for path, message in errors.items():
            self.add(line, COLUMN_OF_PATH.get(path, path), message.localized())


@dataclass
class _Row:
    line: int
    cells: dict[str, Any]
    extra: bool = False  # non-empty cells beyond the header's columns


# --- reading the file -----------------------------------------------------------------------------

def read_rows(filename: str, data: bytes) -> list[_Row]:
    """The data rows of a CSV or XLSX file, or ImportFileError; the file's content decides its type."""
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ImportFileError("extension", _l("Choose a .csv or .xlsx file."))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("empty", _l("The file is empty."))
    if data.startswith(ZIP):
        header, rows = _xlsx_rows(data)
    elif data.startswith(OLE2):
        raise ImportFileError("xls", _l("This is an old Excel (.xls) workbook. In Excel choose Save As and pick "
                                        "Excel Workbook (.xlsx) or CSV UTF-8, then import that file."))
    else:
        for signature, kind in BINARY_SIGNATURES.items():
            if data.startswith(signature):
                raise ImportFileError("not_table", _l("This is not a CSV or Excel (.xlsx) file: it looks like "
                                                      "%(kind)s.", kind=kind))
        header, rows = _csv_rows(data)
    if not any(header) and not rows:
        raise ImportFileError("empty", _l("The file is empty."))
    _check_header(header)
    if not rows:
        raise ImportFileError("no_rows", _l("The file has a header line but no referrals below it."))
    return rows


def _too_many() -> ImportFileError:
    return ImportFileError("too_many_rows", _l("The file has more than %(max)s referrals. Split it into files of "
                                               "at most %(max)s rows each.", max=f"{MAX_ROWS:,}"))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves "CSV" in GB18030 (GBK)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL.search(text):
            raise ImportFileError("binary", _l("This file contains binary data: it is not a CSV file."))
        return text
    raise ImportFileError("undecodable", _l("This file is neither UTF-8 nor GB18030 text. In Excel choose Save As "
                                            "and pick CSV UTF-8 (comma delimited)."))


def _csv_rows(data: bytes) -> tuple[list[str], list[_Row]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # some Excel locales save with ; or tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[_Row] = []
    line = 0
    try:
        for record in reader:
            line += 1  # a record is one spreadsheet row, even when a quoted cell spans lines
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            row = _row(line, header, record)
            if row is not None:
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    raise _too_many()
    except csv.Error as exc:
        raise ImportFileError("csv", _l("Line %(line)s could not be read as CSV (%(reason)s).",
                                        line=line + 1, reason=str(exc))) from None
    return header or [], rows


def _xlsx_rows(data: bytes) -> tuple[list[str], list[_Row]]:
    unreadable = ImportFileError("unreadable", _l("This Excel workbook could not be read. Open it in Excel, save it "
                                                  "again as Excel Workbook (.xlsx) and import it again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # any broken archive is the same answer to the user
        raise unreadable from None
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise ImportFileError("not_table", _l("This is not a CSV or Excel (.xlsx) file: it looks like "
                                              "%(kind)s.", kind=_l("a compressed archive or another "
                                                                   "office document")))
    if unpacked > MAX_UNZIPPED_BYTES:
        raise _too_many()
    import openpyxl

    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise unreadable
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # some tools write a wrong size; read what is there
                return _sheet_rows(sheet.iter_rows(values_only=True))
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds of errors on malformed files
        raise unreadable from None


def _sheet_rows(records: Iterable[tuple[Any, ...]]) -> tuple[list[str], list[_Row]]:
    header: list[str] | None = None
    rows: list[_Row] = []
    for line, record in enumerate(records, start=1):  # missing rows come as empty tuples
        if header is None:
            header = ["" if cell is None else str(cell).strip() for cell in record]
            continue
        row = _row(line, header, list(record))
        if row is not None:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise _too_many()
    return header or [], rows


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _row(line: int, header: list[str], record: list[Any]) -> _Row | None:
    """The row's cells by column name; None for an empty row (Excel leaves many)."""
    if all(_is_empty(cell) for cell in record):
        return None
    cells = {name: record[i] for i, name in enumerate(header) if name and i < len(record)}
    extra = any(not _is_empty(cell) for cell in record[len(header):]) or any(
        not name and i < len(record) and not _is_empty(record[i]) for i, name in enumerate(header)
    )
    return _Row(line, cells, extra)


def _check_header(header: list[str]) -> None:
    names = [name for name in header if name]
    unknown = [name for name in names if name not in PATHS]
    missing = [column for column in COLUMNS if column not in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = []
    if unknown:
        problems.append(str(_l("Unknown columns: %(names)s.", names=", ".join(unknown))))
    if missing:
        problems.append(str(_l("Missing columns: %(names)s.", names=", ".join(missing))))
    if repeated:
        problems.append(str(_l("Columns given twice: %(names)s.", names=", ".join(repeated))))
    if problems:
        raise ImportFileError("header", _l("The first line must be the template's header line. %(problems)s",
                                           problems=" ".join(problems)))


# --- a row in the contract's shape ----------------------------------------------------------------

def payload_of(cells: dict[str, Any]) -> dict[str, Any]:
    """A row as a referral in the intake contract's JSON shape; empty cells are left out."""
    payload: dict[str, Any] = {"household": {}, "need": {}}
    for column, raw in cells.items():
        value = _value(column, raw)
        if value is None:
            continue
        section, _dot, key = PATHS[column].rpartition(".")
        (payload[section] if section else payload)[key] = value
    return payload


def _value(column: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if value is None:
        return None
    if column in INTEGER_COLUMNS:
        return _integer(value)
    if column == "referred_at":
        return _timestamp(value)
    if column == "needed_by":
        return _date(value)
    return _text(value).lower() if column in CODE_COLUMNS and isinstance(value, str) else _text(value)


def _text(value: Any) -> Any:
    """Excel gives numbers for codes, phones and ids typed as numbers: write them back as digits."""
    if isinstance(value, bool):
        return value  # validation says what is wrong
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | date | time | timedelta):
        return str(value)
    return value


def _integer(value: Any) -> Any:
    """A whole number as int; anything else stays as it is, so validation reports it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and INTEGER.fullmatch(value):
        return int(value.split(".")[0].replace(",", ""))
    return value if isinstance(value, str) else _text(value)


def _loose_datetime(text: str) -> datetime | None:
    """2026-11-20, 2026/11/20 10:00 or 2026-11-20 10:00:00 (as Excel writes them), without an offset."""
    match = LOOSE_DATE.match(text)
    if match is None:
        return None
    rest = text[match.end():].strip().lstrip("Tt").strip()
    clock = LOOSE_TIME.fullmatch(rest) if rest else None
    if rest and clock is None:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
        hour, minute, second = (int(clock[1]), int(clock[2]), int(clock[3] or 0)) if clock else (0, 0, 0)
        return datetime.combine(day, time(hour, minute, second))
    except ValueError:
        return None


def _timestamp(value: Any) -> Any:
    """RFC 3339 with an offset; a time without one is Guangzhou time (Asia/Shanghai)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        return moment.isoformat(timespec="seconds")
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI).isoformat(timespec="seconds")
    if isinstance(value, str) and not RFC3339.match(value):
        naive = _loose_datetime(value)
        return naive.replace(tzinfo=SHANGHAI).isoformat(timespec="seconds") if naive else value
    return _text(value)


def _date(value: Any) -> Any:
    """YYYY-MM-DD from an Excel date or a date written 2026/12/31."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        naive = _loose_datetime(value)
        return naive.date().isoformat() if naive is not None and naive.time() == time() else value
    return _text(value)


# --- importing ------------------------------------------------------------------------------------

def import_file(filename: str, data: bytes, *, actor: Any) -> ImportReport:
    """Import every row of the file as a staff referral; good rows are kept, bad rows reported."""
    rows = read_rows(filename, data)
    declare_write()
    report = ImportReport(rows=len(rows))
    lookups = Lookups()  # each district, street and cap is read once for the whole file
    for row in rows:
        _import_row(row, actor, report, lookups)
    audit.record(
        "referral.import", actor=actor, object_type="referrals", region_code=getattr(actor, "region_code", None),
        after={"file": filename[-100:], "rows": report.rows, "created": report.created,
               "already_present": report.already_present, "bad_rows": report.bad_rows},
    )
    db.session.flush()
    return report


class _OutOfScope(Exception):
    """Raised inside a row's savepoint to undo a referral outside the actor's region."""


def _import_row(row: _Row, actor: Any, report: ImportReport, lookups: Lookups) -> None:
    if row.extra:
        report.add(row.line, "", _l("this row has more cells than the header line has columns"))
        return
    payload = payload_of(row.cells)
    existing = intake.find(STAFF_SOURCE, payload.get("external_id"))
    if existing is not None and not covers(actor, existing):
        _report_out_of_scope(report, row.line, actor, existing.district_code)
        return
    if existing is None and not _household_in_scope(actor, payload["household"].get("external_id")):
        report.add(row.line, "household_external_id",
                   _l("this household_external_id belongs to a household outside your region"))
        return
    try:
        with db.session.begin_nested():  # a bad row writes nothing, the others stay
            received = intake.receive(STAFF_SOURCE, payload, actor=actor, lookups=lookups)
            referral = received.referral
            if not covers(actor, referral):
                raise _OutOfScope(referral.district_code)
    except intake.ReferralInvalid as exc:
        report.add_invalid(row.line, exc.errors)
    except intake.ReferralConflict:
        report.add(row.line, "external_id", _l("this external_id was already imported with different content; "
                                               "give a new referral a new external_id"))
    except _OutOfScope as exc:
        _report_out_of_scope(report, row.line, actor, str(exc))
    else:
        if received.created:
            report.created += 1
        else:
            report.already_present += 1


def _report_out_of_scope(report: ImportReport, line: int, actor: Any, district: str) -> None:
    """Street staff are told about the street column, district staff about the district."""
    own = getattr(actor, "region_code", None) or ""
    column = "street" if len(own) > len(district) and own.startswith(district) else "region_code"
    report.add(line, column, _l("outside your region: you may import referrals only for %(region)s",
                                region=own or "-"))


def _household_in_scope(actor: Any, household_external_id: Any) -> bool:
    """A row may not overwrite the data of another region's household (staff share one source)."""
    if not isinstance(household_external_id, str):
        return True  # validation will refuse it
    household = db.session.scalar(
        sa.select(Household).where(Household.source == STAFF_SOURCE, Household.external_id == household_external_id)
    )
    return household is None or covers(actor, household)


# --- templates ------------------------------------------------------------------------------------

def example_row() -> dict[str, Any]:
    """A believable referral for the template, dated from today."""
    today = clock.today()
    return {
        "external_id": f"YX-{today:%Y%m%d}-0001",
        "referred_at": datetime.combine(today, time(9, 0)),  # naive: Guangzhou time, as Excel keeps it
        "household_external_id": "H-440104-00001",
        "household_category": "dibao",
        "household_group": "elderly_special_difficulty",
        "region_code": "440104",
        "street": "北京街道",
        "members": 1,
        "head_name": "李桂芳",
        "phone": "13800138000",
        "address": "越秀区北京路88号",
        "id_number": "440104195201011234",
        "need_kind": "wish",
        "need_category": "daily_living",
        "title": "一台电饭煲",
        "description": "独居老人，72岁，原电饭煲损坏，需要一台3升电饭煲。",
        "quantity": 1,
        "estimated_value_fen": 29900,
        "urgency": "normal",
        "needed_by": today + timedelta(days=30),
    }


def template_csv() -> bytes:
    """The header and one example row, UTF-8 with a BOM so that Excel shows the Chinese."""
    row = example_row()
    row["referred_at"] = row["referred_at"].replace(tzinfo=SHANGHAI).isoformat(timespec="seconds")
    row["needed_by"] = row["needed_by"].isoformat()
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


WIDE = {"referred_at": 18, "id_number": 22, "address": 24, "title": 20, "description": 48}


def template_xlsx() -> bytes:
    """The header and one example row as an Excel workbook (text columns kept as text)."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "referrals"
    row = example_row()
    sheet.append(list(COLUMNS))
    sheet.append([row[column] for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = WIDE.get(column, max(12, len(column) + 2))
        cell = sheet[f"{letter}2"]
        if column == "referred_at":
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif column == "needed_by":
            cell.number_format = "yyyy-mm-dd"
        elif column not in INTEGER_COLUMNS:
            cell.number_format = "@"  # ID numbers and phones stay text, never 4.40104E+17
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
