"""One contract, three doors: the API, the staff form and the file import judge a referral alike."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households.models import Referral
from tests.api.support import api_for
from tests.conftest import referral_payload
from tests.households.support import csv_file, post, row, staff_client

FORM = {"category": "tekun", "group": "homeless_vagrant", "street_code": "440104003", "members": "1",
        "head_name": "张三", "need_kind": "wish", "need_category": "daily_living", "title": "冬季棉被",
        "description": "无固定住所，需要棉被。", "quantity": "2", "value_yuan": "300"}


def _form(**overrides: str) -> dict[str, str]:
    return {**FORM, "needed_by": (clock.today() + timedelta(days=20)).isoformat(), **overrides}


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no error beside {field}"
    return found.group(1).strip()


def test_the_same_bad_values_get_the_same_messages_through_every_door(app, as_role):
    api_fields = api_for(app).post("/referrals", referral_payload(
        household={"members": 21}, title="字" * 101, needed_by="2020-01-01")).get_json()["error"]["fields"]
    assert api_fields == {"household.members": "an integer from 1 to 20",
                          "need.title": "at most 100 characters",
                          "need.needed_by": "today or later (Asia/Shanghai)"}

    staff = staff_client(as_role)  # reads English
    html = staff.post("/staff/referrals/new", data=_form(members="21", title="字" * 101,
                                                         needed_by="2020-01-01")).get_data(as_text=True)
    assert _field_error(html, "members") == api_fields["household.members"]
    assert _field_error(html, "title") == api_fields["need.title"]
    assert _field_error(html, "needed_by") == api_fields["need.needed_by"]

    report = post(staff, csv_file([row(1, members="21", title="字" * 101, needed_by="2020-01-01")]))
    for column, path in (("members", "household.members"), ("title", "need.title"), ("needed_by", "need.needed_by")):
        assert re.search(rf"<code>{column}</code></td>\s*<td>{re.escape(api_fields[path])}</td>", report), column
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_staff_read_the_contracts_messages_in_chinese(as_role):
    staff = as_role(Role.STAFF, region="440104")  # the default language
    html = staff.post("/staff/referrals/new", data=_form(members="21", head_name=" ")).get_data(as_text=True)
    assert _field_error(html, "members") == "1 到 20 之间的整数"
    assert _field_error(html, "head_name") == "请填写文字"


def test_the_form_shows_the_contracts_limits_and_a_field_keeps_its_own_reading_error(as_role):
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/referrals/new").get_data(as_text=True)
    members = re.search(r'<input[^>]*id="members"[^>]*>', page).group()
    assert 'min="1"' in members and 'max="20"' in members and "required" in members
    head_name = re.search(r'<input[^>]*id="head_name"[^>]*>', page).group()
    assert 'maxlength="50"' in head_name and "required" in head_name
    assert 'maxlength="2000"' in re.search(r'<textarea[^>]*id="description"[^>]*>', page).group()
    # A number the form cannot read keeps the form's own message, not the contract's "required" too.
    html = staff.post("/staff/referrals/new", data=_form(members="many")).get_data(as_text=True)
    assert _field_error(html, "members") == "不是有效的整数。"
