"""Staff import referrals from CSV and XLSX files: good rows in, bad rows reported, nothing else written."""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import importer
from marketplace.households.importer import COLUMNS
from marketplace.households.models import STAFF_SOURCE, Household, Referral
from tests.conftest import make_user
from tests.households.support import URL, csv_file, post, row, staff_client


def figures(html: str) -> tuple[int, int, int]:
    """(created, already present, rows refused) as the report shows them."""
    found = re.findall(r"<strong>(\d+)</strong>\s*(referrals created|already present|rows refused)", html)
    assert len(found) == 3, html
    return tuple(int(n) for n, _label in found)  # type: ignore[return-value]


def row_errors(html: str) -> set[tuple[int, str]]:
    """(line, column) of every error in the report's table."""
    return {(int(line), column) for line, column in
            re.findall(r"<td>Line (\d+)</td>\s*<td>(?:<code>([a-z_]+)</code>|—)</td>", html)}


def count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def external_ids() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(Referral.external_id)))


def test_good_rows_imported_bad_rows_reported_with_line_and_column(as_role):
    client = staff_client(as_role)
    past = (today_shanghai() - timedelta(days=1)).isoformat()
    data = csv_file([
        row(1),
        row(2, members="abc"),  # line 3
        row(3),
        row(4, household_category="rich", needed_by=past),  # line 5: two problems
        row(5),
    ])
    html = post(client, data)
    assert figures(html) == (3, 0, 2)
    assert row_errors(html) == {(3, "members"), (5, "household_category"), (5, "needed_by")}
    assert external_ids() == {"IMP-0001", "IMP-0003", "IMP-0005"}
    # Nothing of the bad rows was written: not their referral, not their household.
    households = set(db.session.scalars(sa.select(Household.external_id)))
    assert households == {"HH-0001", "HH-0003", "HH-0005"}
    referral = db.session.scalar(sa.select(Referral).where(Referral.external_id == "IMP-0003"))
    assert referral.source == STAFF_SOURCE and referral.estimated_value_fen == 29900 and referral.status == "received"
    assert referral.household.street_code == "440104003" and referral.household.members == 1


def test_reimport_recognises_rows_and_conflicts(as_role):
    client = staff_client(as_role)
    data = csv_file([row(1), row(2), row(3), row(4, title="")])
    assert figures(post(client, data)) == (3, 0, 1)
    html = post(client, data)
    assert figures(html) == (0, 3, 1)
    assert row_errors(html) == {(5, "title")}
    assert count(Referral) == 3 and count(Household) == 3
    # Same external id, different content: that row is refused, the rest is unchanged.
    changed = csv_file([row(1), row(2, estimated_value_fen="100"), row(3)])
    html = post(client, changed)
    assert figures(html) == (0, 2, 1)
    assert row_errors(html) == {(3, "external_id")}
    db.session.rollback()
    assert db.session.scalar(sa.select(Referral.estimated_value_fen).where(Referral.external_id == "IMP-0002")) == 29900


def test_xlsx_with_excel_typed_cells(as_role):
    client = staff_client(as_role)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    shuffled = list(reversed(COLUMNS))  # the order of the columns is free
    sheet.append(shuffled)
    needed = today_shanghai() + timedelta(days=20)
    first = row(1, members=2, quantity=2.0, estimated_value_fen=29900.0, region_code=440104, phone=13800138000,
                referred_at=datetime(2026, 11, 20, 10, 0), needed_by=needed)
    second = row(2, members=3.0, quantity=1, estimated_value_fen=15000,
                 referred_at=date(2026, 11, 21), needed_by=datetime.combine(needed, datetime.min.time()))
    for r in (first, second):
        sheet.append([r[c] for c in shuffled])
    sheet.append([None] * len(shuffled))  # Excel leaves empty rows below the data
    third = row(3, members=2.5)  # not a whole number: reported, not rounded
    sheet.append([third[c] for c in shuffled])
    out = io.BytesIO()
    workbook.save(out)
    html = post(client, out.getvalue(), "referrals.xlsx")
    assert figures(html) == (2, 0, 1)
    assert row_errors(html) == {(5, "members")}
    db.session.rollback()
    one = db.session.scalar(sa.select(Referral).where(Referral.external_id == "IMP-0001"))
    two = db.session.scalar(sa.select(Referral).where(Referral.external_id == "IMP-0002"))
    assert (one.quantity, one.estimated_value_fen, one.household.members) == (2, 29900, 2)
    assert one.household.phone == "13800138000" and one.district_code == "440104"
    assert one.needed_by == needed and two.needed_by == needed
    # A time without an offset is Guangzhou time.
    assert one.referred_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert two.referred_at == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert one.payload["referred_at"] == "2026-11-20T10:00:00+08:00"
    assert two.household.members == 3


def test_gb18030_csv_from_chinese_excel(as_role):
    client = staff_client(as_role)
    data = csv_file([row(1, needed_by=(today_shanghai() + timedelta(days=9)).strftime("%Y/%m/%d"))],
                    encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert figures(post(client, data)) == (1, 0, 0)
    db.session.rollback()
    referral = db.session.scalar(sa.select(Referral))
    assert referral.title == "一台电饭煲" and referral.household.head_name == "李桂芳"
    assert referral.needed_by == today_shanghai() + timedelta(days=9)


def test_utf8_bom_and_semicolons(as_role):
    client = staff_client(as_role)
    text = csv_file([row(1)]).decode().replace(",", ";")
    assert figures(post(client, b"\xef\xbb\xbf" + text.encode())) == (1, 0, 0)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def xls_bytes() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


REFUSED = {
    "png renamed csv": (png_bytes, "photo.csv", "PNG image"),
    "png renamed xlsx": (png_bytes, "photo.xlsx", "PNG image"),
    "empty": (lambda: b"", "empty.csv", "The file is empty"),
    "only a BOM and blank lines": (lambda: b"\xef\xbb\xbf\r\n\r\n", "blank.csv", "The file is empty"),
    "header only": (lambda: csv_file([]) + b"\r\n,,,\r\n", "header.csv", "no referrals"),
    "missing column": (lambda: csv_file([row(1)], columns=tuple(c for c in COLUMNS if c != "phone")),
                       "missing.csv", "Missing columns: phone."),
    "unknown column": (lambda: csv_file([row(1, remarks="x")], columns=(*COLUMNS, "remarks")),
                       "unknown.csv", "Unknown columns: remarks."),
    "random bytes": (lambda: random.Random(7).randbytes(4096), "random.csv", "neither UTF-8 nor GB18030"),
    "text with binary data": (lambda: csv_file([row(1)]).replace(b"1,", b"\x00\x01,", 1), "nul.csv",
                              "binary data: it is not a CSV file"),
    "random bytes as xlsx": (lambda: b"PK\x03\x04" + random.Random(8).randbytes(4096), "random.xlsx",
                             "could not be read"),
    "old xls": (xls_bytes, "old.xlsx", "old Excel (.xls)"),
    "word document": (docx_bytes, "letter.xlsx", "not a CSV or Excel"),
    "too many rows": (lambda: csv_file([row(n) for n in range(5001)]), "big.csv", "more than 5,000 referrals"),
}


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_unreadable_files_are_refused_whole(as_role, case):
    make_data, name, message = REFUSED[case]
    client = staff_client(as_role)
    html = post(client, make_data(), name)
    assert 'id="file-error"' in html and message in html
    assert "Result of the import" not in html
    assert count(Referral) == 0 and count(Household) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action.like("referral.%"))) == 0


def test_wrong_extension_refused_by_the_form(as_role):
    client = staff_client(as_role)
    html = post(client, csv_file([row(1)]), "referrals.txt")
    assert 'id="file-error"' in html and count(Referral) == 0


def test_any_bytes_give_a_report_or_an_import_file_error(app):
    """Fuzz: truncated and corrupted CSV and XLSX never raise anything but ImportFileError."""
    actor = make_user(Role.STAFF)
    good_xlsx, good_csv = importer.template_xlsx(), importer.template_csv()
    rng = random.Random(2026)
    samples = []
    for _ in range(60):
        for good, name in ((good_xlsx, "f.xlsx"), (good_csv, "f.csv")):
            data = bytearray(good[: rng.randrange(1, len(good) + 1)])
            for _flip in range(rng.randrange(0, 6)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            samples.append((name, bytes(data)))
    for name, data in samples:
        try:
            report = importer.import_file(name, data, actor=actor)
        except importer.ImportFileError as exc:
            assert str(exc)
        else:
            assert report.rows == report.created + report.already_present + report.bad_rows
        db.session.rollback()


def test_staff_import_only_in_their_region(as_role):
    data = csv_file([row(1), row(2, region_code="440106", street="五山街道"), row(3, street="")])
    district = staff_client(as_role, region="440104")
    html = post(district, data)
    assert figures(html) == (2, 0, 1)
    assert row_errors(html) == {(3, "region_code")}
    assert external_ids() == {"IMP-0001", "IMP-0003"}

    street_staff = staff_client(as_role, region="440104003")  # 北京街道 only
    other_street = csv_file([row(4, street="六榕街道"), row(5, street=""), row(6)])
    html = post(street_staff, other_street)
    assert figures(html) == (1, 0, 2)
    assert row_errors(html) == {(2, "street"), (3, "street")}

    # A household of another district cannot be overwritten through a row of one's own district.
    tianhe = staff_client(as_role, region="440106")
    html = post(tianhe, csv_file([row(7, household_external_id="HH-0001", region_code="440106", street="五山街道")]))
    assert row_errors(html) == {(2, "household_external_id")}
    db.session.rollback()
    assert db.session.scalar(sa.select(Household.district_code).where(Household.external_id == "HH-0001")) == "440104"

    admin = as_role(Role.ADMIN)
    admin.get("/lang/en")
    assert figures(post(admin, data)) == (1, 2, 0)  # the admin may import anywhere
    assert "IMP-0002" in external_ids()


def test_templates_download_and_import_back(as_role):
    client = staff_client(as_role)
    for name, kind in (("template.csv", "text/csv"), ("template.xlsx", "spreadsheetml")):
        response = client.get(URL + name)
        assert response.status_code == 200 and kind in response.content_type
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert name.split(".")[1] in response.headers["Content-Disposition"]
    csv_template = client.get(URL + "template.csv").data
    assert csv_template.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode())
    assert figures(post(client, csv_template, "template.csv")) == (1, 0, 0)
    # The workbook holds the same example: recognised as already imported, no error.
    assert figures(post(client, client.get(URL + "template.xlsx").data, "template.xlsx")) == (0, 1, 0)
    db.session.rollback()
    referral = db.session.scalar(sa.select(Referral))
    assert referral.needed_by == today_shanghai() + timedelta(days=30)
    assert referral.household.street_code == "440104003" and referral.estimated_value_fen == 29900


def test_page_shows_the_form_and_template_links(as_role):
    html = staff_client(as_role).get(URL).get_data(as_text=True)
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html and '<label for="file">' in html
    assert "template.xlsx" in html and "template.csv" in html
