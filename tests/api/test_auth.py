"""Keys and signatures: who may call the API, and which requests are refused with 401."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from marketplace.api import keys
from marketplace.api.models import ApiKey, ApiSource
from marketplace.extensions import db
from tests.api.support import BASE, Api, api_for, make_key
from tests.conftest import referral_payload

ENDPOINTS = [("POST", "/referrals"), ("POST", "/referrals/batch"), ("GET", "/referrals/GZ-1"), ("GET", "/referrals")]


def _unauthorized(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_missing_malformed_or_unknown_key_is_401(client, method, path):
    unknown = "shl_deadbeef_" + "x" * 43
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                    {"Authorization": f"Bearer {unknown}"}, {"Authorization": "Bearer not-a-key"}):
        _unauthorized(client.open(BASE + path, method=method, headers=headers, json={}))


def test_revoked_key_is_401_and_other_keys_of_the_source_go_on(app):
    old, new = make_key("assist-gz"), make_key("assist-gz")
    prefix = old[: keys.PREFIX_LENGTH]
    keys.revoke("assist-gz", prefix=prefix)
    db.session.commit()
    _unauthorized(Api(app.test_client(), old).get("/referrals"))
    assert Api(app.test_client(), new).get("/referrals").status_code == 200
    keys.revoke("assist-gz")
    db.session.commit()
    _unauthorized(Api(app.test_client(), new).get("/referrals"))


def test_only_a_hash_and_a_prefix_of_the_key_are_stored(app):
    key = make_key()
    row = db.session.scalar(sa.select(ApiKey))
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix) and len(row.prefix) < 16 and len(key) > 40


def test_tampered_body_or_a_signature_with_another_key_is_401(app):
    api = api_for(app)
    payload = referral_payload()
    signed = api.headers(b'{"external_id": "something else"}')
    response = api.client.post(f"{BASE}/referrals", json=payload, headers=signed)
    _unauthorized(response)
    _unauthorized(api.post("/referrals", payload, signing_key=make_key("other-system")))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiSource)) == 2
    assert api.post("/referrals", payload).status_code == 201


@pytest.mark.parametrize("drop", ["X-Timestamp", "X-Signature"])
def test_missing_signature_headers_are_401(app, drop):
    api = api_for(app)
    body = b"{}"
    headers = {k: v for k, v in api.headers(body).items() if k != drop}
    _unauthorized(api.client.post(f"{BASE}/referrals", data=body, headers=headers,
                                  content_type="application/json"))


@pytest.fixture
def frozen(app):
    """The server's clock stopped on a whole second, so a skew of 300 s is exactly 300 s however long
    the request takes (with the wall clock, 301 s ahead became 300 s when a second boundary passed)."""
    moment = datetime.fromtimestamp(int(time.time()), UTC)
    app.config["CLOCK"] = lambda: moment
    yield int(moment.timestamp())
    app.config.pop("CLOCK", None)


@pytest.mark.parametrize("skew", [-301, 301, -100_000])
def test_stale_and_future_timestamps_are_401(app, frozen, skew):
    api = api_for(app)
    _unauthorized(api.post("/referrals", referral_payload(), timestamp=frozen + skew))


@pytest.mark.parametrize("skew", [-300, 300])
def test_timestamps_within_300_seconds_are_accepted(app, frozen, skew):
    api = api_for(app)
    assert api.post("/referrals", referral_payload(), timestamp=frozen + skew).status_code == 201


def test_malformed_timestamp_or_signature_is_401(app):
    api = api_for(app)
    body = b"{}"
    good = api.headers(body)
    for bad in ({"X-Timestamp": "soon"}, {"X-Timestamp": "1.5e9"}, {"X-Signature": good["X-Signature"][7:]},
                {"X-Signature": "sha1=" + good["X-Signature"][7:]}, {"X-Signature": "sha256=é"}):
        _unauthorized(api.client.post(f"{BASE}/referrals", data=body, headers={**good, **bad},
                                      content_type="application/json"))


def test_upper_case_hex_signature_is_accepted(app):
    api = api_for(app)
    body = b"{}"
    headers = api.headers(body)
    headers["X-Signature"] = "sha256=" + headers["X-Signature"][7:].upper()
    response = api.client.post(f"{BASE}/referrals", data=body, headers=headers, content_type="application/json")
    assert response.status_code == 422  # past the signature: the empty object is invalid


def test_reads_need_no_signature(app):
    api = api_for(app)
    assert api.get("/referrals").status_code == 200


def test_csrf_protection_does_not_apply_to_signed_api_calls(app):
    app.config["WTF_CSRF_ENABLED"] = True
    api = api_for(app)
    assert api.post("/referrals", referral_payload()).status_code == 201


def test_use_and_errors_are_counted_per_source(app):
    api = api_for(app)
    api.post("/referrals", referral_payload())
    api.post("/referrals", body=b"nope")
    api.get("/referrals/unknown-id")
    db.session.expire_all()
    source = db.session.scalar(sa.select(ApiSource))
    assert (source.request_count, source.error_count) == (3, 2)
    assert source.last_used_at is not None and source.keys[0].last_used_at is not None


def test_cli_creates_a_key_printed_alone_on_the_last_line_and_revokes_it(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-key", "create", "assist-gz"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("shl_") and " " not in key
    assert Api(app.test_client(), key).get("/referrals").status_code == 200
    listing = runner.invoke(args=["api-key", "list"]).output
    assert key[: keys.PREFIX_LENGTH] in listing and key not in listing
    result = runner.invoke(args=["api-key", "revoke", "assist-gz"])
    assert result.exit_code == 0, result.output
    _unauthorized(Api(app.test_client(), key).get("/referrals"))
    assert runner.invoke(args=["api-key", "revoke", "assist-gz"]).exit_code != 0
    assert runner.invoke(args=["api-key", "create", "staff"]).exit_code != 0
    assert runner.invoke(args=["api-key", "revoke", "nobody"]).exit_code != 0
