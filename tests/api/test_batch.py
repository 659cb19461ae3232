"""POST /api/v1/referrals/batch: 1–500 referrals, each handled as if sent alone."""

from __future__ import annotations

import json

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.households.models import Referral
from tests.api.support import api_for
from tests.conftest import referral_payload


def test_each_item_answers_as_if_sent_alone_and_a_bad_one_stops_nothing(app):
    api = api_for(app)
    sent_before = referral_payload()
    first = api.post("/referrals", sent_before).get_json()
    fresh, twice = referral_payload(), referral_payload()
    conflicting = {**sent_before, "need": {**sent_before["need"], "quantity": 2}}
    invalid = referral_payload(title="")
    items = [fresh, sent_before, conflicting, invalid, "not an object", twice, twice, fresh]
    response = api.post("/referrals/batch", {"referrals": items})
    assert response.status_code == 207
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 200, 409, 422, 422, 201, 200, 200]
    assert results[1]["body"] == first
    assert results[2]["body"]["error"]["code"] == "conflict"
    assert results[3]["body"]["error"]["fields"] == {"need.title": "required text"}
    assert results[4]["body"]["error"]["code"] == "invalid"
    assert results[5]["body"] == results[6]["body"] and results[0]["body"] == results[7]["body"]
    assert results[0]["body"]["status"] == "received"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 3
    # Each created referral is visible like one sent alone.
    assert api.get(f"/referrals/{fresh['external_id']}").get_json()["id"] == results[0]["body"]["id"]


def test_five_hundred_items_are_accepted(app):
    api = api_for(app)
    response = api.post("/referrals/batch", {"referrals": [referral_payload() for _ in range(500)]})
    assert response.status_code == 207
    assert {r["status"] for r in response.get_json()["results"]} == {201}


def test_fewer_than_one_or_more_than_500_items_or_another_shape_is_422(app):
    api = api_for(app)
    one = referral_payload()
    for body, field in (({"referrals": []}, "referrals"), ({"referrals": [one] * 501}, "referrals"),
                        ({}, "referrals"), ({"referrals": one}, "referrals"),
                        ({"referrals": [one], "more": 1}, "more"), ([one], "$")):
        response = api.post("/referrals/batch", body)
        assert response.status_code == 422, body
        error = response.get_json()["error"]
        assert error["code"] == "invalid" and field in error["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_the_batch_checks_key_signature_type_and_json_like_the_single_endpoint(app):
    api = api_for(app)
    body = {"referrals": [referral_payload()]}
    assert api.post("/referrals/batch", body, signed=False).status_code == 401
    assert api.post("/referrals/batch", body, content_type="text/plain").status_code == 415
    assert api.post("/referrals/batch", body=b"{").status_code == 400


def test_a_lone_surrogate_or_nul_fails_only_its_own_item(app):
    api = api_for(app)
    items = [referral_payload(), referral_payload(household={"address": "越秀\ud800"}), referral_payload(),
             referral_payload(description="坏了\x00")]
    response = api.post("/referrals/batch", body=json.dumps({"referrals": items}, ensure_ascii=True).encode())
    assert response.status_code == 207
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 422]
    assert results[1]["body"]["error"]["fields"] == {
        "household.address": "must be valid Unicode text (no lone surrogates)"}
    assert set(results[3]["body"]["error"]["fields"]) == {"need.description"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 2
    # In the envelope itself: the whole batch is refused, still as a 422.
    for key in ("\ud800", "a\x00"):
        body = json.dumps({"referrals": [referral_payload()], key: 1}).encode()
        assert api.post("/referrals/batch", body=body).status_code == 422
