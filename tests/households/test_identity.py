"""One household, one file (一户一档): a referral whose ID number is on file joins that household."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.models import Household, Referral
from marketplace.search import personal
from tests.api.support import Api, api_for, make_key
from tests.conftest import make_user, referral_payload
from tests.households.support import csv_file, post, row, staff_client

ID_NUMBER = "440104196003031234"
FORM = {"category": "dibao", "group": "elderly_special_difficulty", "street_code": "440104003", "members": "2",
        "head_name": "陈伯", "need_kind": "wish", "need_category": "daily_living", "title": "冬季棉被",
        "description": "老人需要棉被。", "quantity": "1", "value_yuan": "300"}


def _count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _referral(external_id: str) -> Referral:
    db.session.rollback()
    return db.session.scalar(sa.select(Referral).where(Referral.external_id == external_id))


def test_one_id_number_is_one_household_through_the_api_the_form_and_the_file(app, as_role):
    api = api_for(app)
    first = referral_payload(household={"id_number": ID_NUMBER})
    assert api.post("/referrals", first).status_code == 201
    household_id = _referral(first["external_id"]).household_id

    staff = staff_client(as_role, region="440104")
    form = {**FORM, "id_number": ID_NUMBER,
            "needed_by": (clock.today() + timedelta(days=20)).isoformat()}
    response = staff.post("/staff/referrals/new", data=form)
    assert response.status_code == 302
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/staff/households/{household_id}" class="joined-household">Joined household #{household_id}' in page

    report = post(staff, csv_file([row(901, id_number=ID_NUMBER), row(902)]))
    assert "2" in report
    assert _referral("IMP-0901").household_id == household_id
    assert _referral("IMP-0902").household_id != household_id  # another number, another household
    other_source = referral_payload(household={"id_number": ID_NUMBER.lower()})
    intake.receive("district-system", other_source)
    db.session.commit()
    assert _referral(other_source["external_id"]).household_id == household_id
    assert _count(Household) == 2
    joined = db.session.get(Household, household_id)
    assert len(joined.referrals) == 4 and joined.identity_key == personal.digest(personal.ID_NUMBER, ID_NUMBER)


def test_the_first_referral_says_it_made_a_new_household_in_chinese(app, as_role):
    payload = referral_payload(household={"id_number": ID_NUMBER})
    referral = intake.receive("test-source", payload, actor=make_user(Role.ADMIN)).referral
    db.session.commit()
    again = intake.receive("test-source", referral_payload(household={"id_number": ID_NUMBER}),
                           actor=make_user(Role.ADMIN)).referral
    db.session.commit()
    staff = as_role(Role.STAFF, region="440104")
    first_page = staff.get(f"/staff/referrals/{referral.id}").get_data(as_text=True)
    assert f"新建户 #{referral.household_id}" in first_page and "已并入户" not in first_page
    second_page = staff.get(f"/staff/referrals/{again.id}").get_data(as_text=True)
    assert f"已并入户 #{referral.household_id}" in second_page


def test_without_an_id_number_the_source_s_household_id_still_finds_its_record(app):
    a = referral_payload(household={"external_id": "H-440104-55555"})
    a["household"].pop("id_number")
    b = referral_payload(household={"external_id": "H-440104-55555"})
    b["household"].pop("id_number")
    first = intake.receive("test-source", a).referral
    second = intake.receive("test-source", b).referral
    db.session.commit()
    assert first.household_id == second.household_id
    # Another source's household id of the same text is another household.
    c = referral_payload(household={"external_id": "H-440104-55555"})
    c["household"].pop("id_number")
    assert intake.receive("other-source", c).referral.household_id != first.household_id


def test_a_number_on_file_from_before_the_rule_is_found_and_takes_the_key(app):
    key = personal.digest(personal.ID_NUMBER, ID_NUMBER)
    old = Household(source="legacy", external_id="L-1", category="dibao", group="elderly_special_difficulty",
                    district_code="440104", members=1, head_name="旧档", id_number=ID_NUMBER)
    db.session.add(old)
    db.session.commit()
    assert old.identity_key is None and old.id_number_hash == key
    referral = intake.receive("test-source", referral_payload(household={"id_number": ID_NUMBER})).referral
    db.session.commit()
    assert referral.household_id == old.id and old.identity_key == key


def _send_all(app, key: str, payloads: list[dict]) -> list[tuple[int, dict]]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(len(payloads))

    def send(payload: dict) -> tuple[int, dict]:
        api = Api(app.test_client(), key)
        start.wait()
        response = api.post("/referrals", payload)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(send, payloads))


def test_eight_concurrent_referrals_with_one_id_number_make_one_household(app):
    key = make_key()
    payloads = [referral_payload(household={"id_number": ID_NUMBER}) for _ in range(8)]
    assert len({p["household"]["external_id"] for p in payloads}) == 8  # eight different source households
    results = _send_all(app, key, payloads)
    assert [code for code, _ in results] == [201] * 8, results
    assert _count(Household) == 1 and _count(Referral) == 8
    api = Api(app.test_client(), key)
    households = {api.get(f"/referrals/{p['external_id']}").get_json()["household"] for p in payloads}
    assert len(households) == 1  # the status object says so too
    assert re.fullmatch(r"h_[A-Z2-7]{24}", households.pop())
