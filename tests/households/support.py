"""Helpers of the households tests: rows and files of referrals, and posting them as staff."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.households.importer import COLUMNS

URL = "/staff/referrals/import/"


def row(n: int, **overrides: object) -> dict[str, object]:
    """A valid row of the file (CSV strings), unique by n."""
    values: dict[str, object] = {
        "external_id": f"IMP-{n:04d}", "referred_at": "2026-11-20T10:00:00+08:00",
        "household_external_id": f"HH-{n:04d}", "household_category": "dibao",
        "household_group": "elderly_special_difficulty", "region_code": "440104", "street": "北京街道",
        "members": "1", "head_name": "李桂芳", "phone": "13800138000", "address": "越秀区北京路88号",
        "id_number": f"44010419520201{n:04d}", "need_kind": "wish", "need_category": "daily_living",
        "title": "一台电饭煲", "description": "独居老人，原电饭煲损坏。", "quantity": "1",
        "estimated_value_fen": "29900", "urgency": "normal",
        "needed_by": (today_shanghai() + timedelta(days=40)).isoformat(),
    }
    values.update(overrides)
    return values


def csv_file(rows: list[dict[str, object]], *, columns: tuple[str, ...] = COLUMNS, encoding: str = "utf-8") -> bytes:
    """The rows as a CSV file with a header line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return out.getvalue().encode(encoding)


def staff_client(as_role, **kwargs):  # type: ignore[no-untyped-def]
    """A staff member's client reading English."""
    client = as_role(Role.STAFF, **kwargs)
    client.get("/lang/en")  # assertions below read the English messages
    return client


def post(client, data: bytes, name: str = "referrals.csv"):  # type: ignore[no-untyped-def]
    """Upload a file to the import page; the report's HTML."""
    # Encoded in memory: for bodies over 500 KB the test client's own encoder spools to a temporary
    # file that it never closes (a ResourceWarning, an error under this suite's settings).
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), filename=name)}))
    response = client.post(URL, data=body, content_type=f'multipart/form-data; boundary="{boundary}"')
    assert response.status_code == 200
    return response.get_data(as_text=True)
