"""POST and GET of referrals through the API: every answer of the contract, replay and conflict."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households.models import Referral
from tests.api.support import BASE, api_for
from tests.conftest import referral_payload


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_201_with_location_then_the_status_object(app):
    api = api_for(app)
    payload = referral_payload()
    response = api.post("/referrals", payload)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "external_id": payload["external_id"], "status": "received"}
    assert isinstance(body["id"], str)
    assert response.headers["Location"] == f"{BASE}/referrals/{payload['external_id']}"
    status = api.client.get(response.headers["Location"], headers=api.headers(signed=False)).get_json()
    assert status == {
        "id": body["id"], "external_id": payload["external_id"], "household": status["household"],
        "status": "received", "light": None, "decline_reason": None, "outcome": None, "needs": [],
        "updated_at": status["updated_at"],
    }
    assert re.fullmatch(r"h_[A-Z2-7]{24}", status["household"])
    assert status["updated_at"].endswith("+08:00")


def test_replay_answers_the_first_answer_whatever_the_key_order_and_whitespace(app):
    api = api_for(app)
    payload = referral_payload()
    first = api.post("/referrals", payload)
    reordered = json.dumps(dict(reversed(list(payload.items()))), indent=4, ensure_ascii=True).encode()
    again = api.post("/referrals", body=reordered)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 1


def test_replay_still_answers_200_after_needed_by_has_passed(app, monkeypatch):
    api = api_for(app)
    payload = referral_payload(needed_by=clock.today().isoformat())
    first = api.post("/referrals", payload)
    assert first.status_code == 201
    later = datetime.combine(clock.today() + timedelta(days=30), time(12), tzinfo=clock.SHANGHAI)
    monkeypatch.setitem(app.config, "CLOCK", lambda: later)
    assert api.post("/referrals", referral_payload(needed_by=payload["need"]["needed_by"]),
                    timestamp=int(later.timestamp())).status_code == 422  # needed_by has passed by that clock
    again = api.post("/referrals", payload, timestamp=int(later.timestamp()))
    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_same_external_id_with_other_content_is_409_checked_before_validation(app):
    api = api_for(app)
    payload = referral_payload()
    api.post("/referrals", payload)
    changed = {**payload, "need": {**payload["need"], "title": "两台电饭煲"}}
    _error(api.post("/referrals", changed), 409, "conflict")
    broken = {**payload, "need": {"title": ""}}  # invalid too: the conflict is reported first
    _error(api.post("/referrals", broken), 409, "conflict")


def test_422_names_each_bad_field_by_its_dotted_path(app):
    api = api_for(app)
    payload = referral_payload(household={"members": 0, "region_code": "999999", "extra": 1},
                               title="", estimated_value_fen=-1, kind="gift")
    payload["surprise"] = True
    del payload["referred_at"]
    fields = _error(api.post("/referrals", payload), 422, "invalid")["fields"]
    assert {"household.members", "household.region_code", "household.extra", "need.title",
            "need.estimated_value_fen", "need.kind", "surprise", "referred_at"} <= fields.keys()
    assert fields["household.extra"] == "unknown field"


def test_422_for_a_past_needed_by_a_too_large_wish_and_a_non_object(app):
    api = api_for(app)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    fields = _error(api.post("/referrals", referral_payload(needed_by=yesterday, estimated_value_fen=200_001)),
                    422, "invalid")["fields"]
    assert set(fields) == {"need.needed_by", "need.estimated_value_fen"}
    _error(api.post("/referrals", [1, 2]), 422, "invalid")
    _error(api.post("/referrals", {"external_id": "x y"}), 422, "invalid")


def test_400_for_anything_that_is_not_json(app):
    api = api_for(app)
    for body in (b"{not json", b"", b'{"a": NaN}', "\u00ff".encode("latin-1"), b"[" * 100_000):
        _error(api.post("/referrals", body=body), 400, "bad_json")


def test_415_unless_the_content_type_is_json_parameters_allowed(app):
    api = api_for(app)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "", "application/jsonp"):
        _error(api.post("/referrals", referral_payload(), content_type=content_type), 415, "unsupported_media_type")
    ok = api.post("/referrals", referral_payload(), content_type="application/json; charset=utf-8")
    assert ok.status_code == 201


def test_413_over_one_mebibyte_and_eight_for_the_batch(app):
    api = api_for(app)
    big = json.dumps({"pad": "x" * (1024 * 1024)}).encode()
    _error(api.post("/referrals", body=big), 413, "too_large")
    # Under 8 MiB the batch endpoint reads the body (and finds the unknown field).
    assert api.post("/referrals/batch", body=big).status_code == 422
    huge = json.dumps({"pad": "x" * (8 * 1024 * 1024)}).encode()
    _error(api.post("/referrals/batch", body=huge), 413, "too_large")


def test_another_sources_referral_is_simply_not_found(app):
    mine, theirs = api_for(app, "assist-gz"), api_for(app, "other-system")
    payload = referral_payload()
    assert mine.post("/referrals", payload).status_code == 201
    _error(theirs.get(f"/referrals/{payload['external_id']}"), 404, "not_found")
    # The same external id is free for the other source: ids are unique per source.
    assert theirs.post("/referrals", payload).status_code == 201
    assert theirs.get("/referrals", updated_since="2000-01-01T00:00:00Z").get_json()["referrals"][0]["id"] != \
        mine.get(f"/referrals/{payload['external_id']}").get_json()["id"]


def test_unknown_paths_and_methods_answer_in_the_error_shape(app):
    api = api_for(app)
    _error(api.get("/nothing-here"), 404, "not_found")
    response = api.client.delete(f"{BASE}/referrals", headers=api.headers())
    error = _error(response, 405, "method_not_allowed")
    assert error["message"]


def test_api_referral_lands_in_the_staff_triage_queue_like_a_form_one(app, as_role):
    api = api_for(app)
    payload = referral_payload()
    api.post("/referrals", payload)
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get("/staff/referrals").get_data(as_text=True)
    assert f"assist-gz · {payload['external_id']}" in page
    referral = db.session.scalar(sa.select(Referral))
    assert referral.status == "received" and referral.household.street_code == "440104003"
    assert staff.get(f"/staff/referrals/{referral.id}").status_code == 200
    elsewhere = as_role(Role.STAFF, region="440106")
    assert payload["external_id"] not in elsewhere.get("/staff/referrals").get_data(as_text=True)


def test_the_openapi_document_and_docs_page_are_public(client):
    spec = client.get(f"{BASE}/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")
    assert "/api/v1/referrals/batch" in spec.get_json()["paths"]
    page = client.get(f"{BASE}/docs")
    assert page.status_code == 200 and "createReferral" in page.get_data(as_text=True)



def test_inputs_the_database_cannot_store_are_422_or_404_never_5xx(app):
    api = api_for(app)
    nul = referral_payload(household={"head_name": "李\x00桂芳", "street": "北京\x00街道"})
    fields = _error(api.post("/referrals", nul), 422, "invalid")["fields"]
    assert set(fields) == {"household.head_name", "household.street"}
    _error(api.post("/referrals", {**referral_payload(), "external_id": "A\x00"}), 422, "invalid")
    early = {**referral_payload(), "referred_at": "0001-01-01T00:00:00+01:00"}
    assert set(_error(api.post("/referrals", early), 422, "invalid")["fields"]) == {"referred_at"}
    huge = referral_payload(kind="service", estimated_value_fen=2**70)
    assert set(_error(api.post("/referrals", huge), 422, "invalid")["fields"]) == {"need.estimated_value_fen"}
    _error(api.get("/referrals/A%00B"), 404, "not_found")
    _error(api.get("/referrals/" + "A" * 65), 404, "not_found")
    for since in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"):
        _error(api.get("/referrals", updated_since=since), 422, "invalid")
    response = api.client.get(f"{BASE}/referrals", headers={"Authorization": "Bearer shl_\x00"})
    _error(response, 401, "unauthorized")


def test_types_are_strict_a_boolean_is_no_integer_and_a_number_no_string(app):
    api = api_for(app)
    booleans = referral_payload(household={"members": True}, quantity=True, estimated_value_fen=False)
    fields = _error(api.post("/referrals", booleans), 422, "invalid")["fields"]
    assert set(fields) == {"household.members", "need.quantity", "need.estimated_value_fen"}
    assert fields["household.members"] == "an integer from 1 to 20"
    numbers = referral_payload(household={"head_name": 123, "region_code": 440104, "external_id": 7}, title=1.5)
    fields = _error(api.post("/referrals", numbers), 422, "invalid")["fields"]
    assert set(fields) == {"household.head_name", "household.region_code", "household.external_id", "need.title"}
    assert fields["household.head_name"] == "must be a string"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def _escaped(payload) -> bytes:
    """JSON with \\uXXXX escapes, as a client sends a lone surrogate (it has no UTF-8 form)."""
    return json.dumps(payload, ensure_ascii=True).encode()


def test_a_lone_surrogate_anywhere_is_422_at_its_path_never_5xx(app):
    api = api_for(app)
    payload = referral_payload(household={"head_name": "李\ud800"}, title="\udfff锅")
    fields = _error(api.post("/referrals", body=_escaped(payload)), 422, "invalid")["fields"]
    assert set(fields) == {"household.head_name", "need.title"}
    in_a_key = referral_payload(household={"\ud83d": "x"})
    fields = _error(api.post("/referrals", body=_escaped(in_a_key)), 422, "invalid")["fields"]
    assert set(fields) == {"household.\ud83d"}
    # The replay check reads the content before validation: a known id with a surrogate is a conflict.
    sent = referral_payload()
    assert api.post("/referrals", sent).status_code == 201
    changed = {**sent, "need": {**sent["need"], "title": "\ud800"}}
    _error(api.post("/referrals", body=_escaped(changed)), 409, "conflict")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 1
