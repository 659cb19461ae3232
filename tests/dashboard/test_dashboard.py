"""The closure dashboard: figures per region with drill-down, charts, exports and scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.dashboard.compute import compute_all
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from tests.conftest import make_need


def _setup():
    closed = make_need("closed")
    late = make_need("published", household={"street": "洪桥街道"})
    make_need("claimed")  # promised within a week: red too by `now`
    now = clock.now() + timedelta(days=8)  # the published one is now red
    recompute(now)
    compute_all(now)
    db.session.commit()
    return closed, late


def test_district_figures_drill_down_and_overdue(as_role):
    closed, late = _setup()
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/dashboard/").get_data(as_text=True)
    assert "<svg" in page and "bar-closed" in page
    assert "洪桥街道" in page and "北京街道" in page  # the streets to drill into
    assert f"/staff/needs/{late.id}" in page  # the red one is on the overdue list
    assert "33.3" in page  # 1 closed of 3 offered
    street = staff.get("/staff/dashboard/?region=440104003").get_data(as_text=True)
    assert f"/staff/needs/{late.id}" not in street  # 洪桥街道's need is not 北京街道's


def test_scope_is_enforced(as_role):
    _setup()
    assert as_role(Role.STAFF, region="440106").get("/staff/dashboard/?region=440104").status_code == 403
    street_staff = as_role(Role.STAFF, region="440104003")
    assert street_staff.get("/staff/dashboard/?region=440104").status_code == 403
    assert street_staff.get("/staff/dashboard/").status_code == 200
    admin = as_role(Role.ADMIN)
    assert "越秀区" in admin.get("/staff/dashboard/").get_data(as_text=True)
    assert admin.get("/staff/dashboard/?region=nowhere").status_code == 403


def test_exports_match_the_page(as_role):
    _, late = _setup()
    staff = as_role(Role.STAFF, region="440104")
    response = staff.get("/staff/dashboard/export.csv?what=overdue")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [str(late.id), str(late.id + 1)]  # oldest first
    assert "李桂芳" not in response.get_data(as_text=True)
    book = load_workbook(io.BytesIO(staff.get("/staff/dashboard/export.xlsx").data))
    values = {row[0]: row[1] for row in book.active.iter_rows(values_only=True)}
    assert values["未办结需求：逾期"] == 2 and not any("red" in str(k) for k in values)  # labels in words
    assert staff.get("/staff/dashboard/export.pdf").status_code == 404


def test_recompute_of_figures_is_idempotent(app):
    _setup()
    now = clock.now()
    first = compute_all(now)
    assert compute_all(now) == first


def test_exports_never_hand_a_spreadsheet_a_formula(as_role):
    _, late = _setup()
    late.title = '=HYPERLINK("http://evil.example","轮椅")'
    db.session.commit()
    staff = as_role(Role.STAFF, region="440104")
    text = staff.get("/staff/dashboard/export.csv?what=overdue").get_data(as_text=True)
    cells = [row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    assert "'" + late.title in cells  # shown as typed, with the apostrophe that keeps it text
    assert late.title not in cells
    book = load_workbook(io.BytesIO(staff.get("/staff/dashboard/export.xlsx?what=overdue").data))
    cell = next(c for row in book.active.iter_rows() for c in row if c.value == late.title)
    assert cell.data_type == "s" and cell.quotePrefix  # text, not a formula
