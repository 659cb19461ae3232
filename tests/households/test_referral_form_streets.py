"""The referral form offers a caseworker only the streets of their region, and picks none for them."""

from __future__ import annotations

import re

from marketplace.accounts.models import Role


def _streets(html: str) -> list[str]:
    select = html[html.index('name="street_code"'):]
    select = select[:select.index("</select>")]
    return re.findall(r'<option[^>]*value="(\d*)"', select), 'selected' in select


def test_district_staff_see_their_district_s_streets_with_none_chosen(as_role):
    streets, chosen = _streets(as_role(Role.STAFF, region="440104").get("/staff/referrals/new").get_data(as_text=True))
    assert streets[0] == "" and not chosen  # "choose the street" first, nothing preselected
    assert len(streets) > 5 and all(code.startswith("440104") for code in streets[1:])


def test_street_staff_get_their_one_street(as_role):
    streets, _ = _streets(as_role(Role.STAFF, region="440104003").get("/staff/referrals/new").get_data(as_text=True))
    assert streets == ["440104003"]


def test_no_street_chosen_is_a_field_error(as_role):
    staff = as_role(Role.STAFF, region="440104")
    response = staff.post("/staff/referrals/new", data={"street_code": "", "members": "1"})
    assert response.status_code == 200 and "请选择街道" in response.get_data(as_text=True)
