"""The change feed: pages by cursor, never skipping or repeating a change, even on one timestamp."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households import service as households
from marketplace.households.models import Referral
from marketplace.needs import transitions
from tests.api.support import api_for
from tests.api.test_status import _draft
from tests.conftest import make_user, referral_payload

SINCE = "2000-01-01T00:00:00Z"


def _receive_many(source: str, count: int) -> list[Referral]:
    """`count` referrals in one transaction: one commit, so they share one change number and time."""
    referrals = [intake.receive(source, referral_payload()).referral for _ in range(count)]
    db.session.commit()
    return referrals


def _read_all(api, **params) -> tuple[list[dict], str, list[int]]:
    """Every page from `params` on: the objects, the last cursor and the page sizes."""
    objects, sizes = [], []
    while True:
        body = api.get("/referrals", **params).get_json()
        objects += body["referrals"]
        sizes.append(len(body["referrals"]))
        params = {"cursor": body["next_cursor"]}
        if not body["has_more"]:
            return objects, body["next_cursor"], sizes


def test_an_empty_page_still_gives_a_cursor_that_later_changes_come_after(app):
    api = api_for(app)
    first = api.get("/referrals", updated_since=datetime.now(UTC).isoformat()).get_json()
    assert first == {"referrals": [], "next_cursor": first["next_cursor"], "has_more": False}
    payload = referral_payload()
    api.post("/referrals", payload)
    later = api.get("/referrals", cursor=first["next_cursor"]).get_json()
    assert [r["external_id"] for r in later["referrals"]] == [payload["external_id"]]
    assert later["has_more"] is False
    assert api.get("/referrals", cursor=later["next_cursor"]).get_json()["referrals"] == []


def test_many_changes_sharing_one_timestamp_page_without_gaps_or_repeats(app):
    api = api_for(app)
    made = _receive_many("assist-gz", 250)
    stamp = datetime(2026, 11, 21, 1, 12, tzinfo=UTC)
    db.session.execute(sa.update(Referral).values(changed_at=stamp))
    db.session.commit()
    objects, cursor, sizes = _read_all(api, updated_since=stamp.isoformat())
    assert sizes == [100, 100, 50]
    assert [o["id"] for o in objects] == [str(r.id) for r in made]
    assert {o["updated_at"] for o in objects} == {"2026-11-21T09:12:00+08:00"}
    assert api.get("/referrals", cursor=cursor).get_json()["referrals"] == []


def test_a_referral_that_changes_again_appears_again_at_its_new_position(app):
    api = api_for(app)
    made = _receive_many("assist-gz", 150)
    page = api.get("/referrals", updated_since=SINCE).get_json()
    assert len(page["referrals"]) == 100 and page["has_more"]
    staff = make_user(Role.ADMIN)
    seen, unseen = made[10], made[120]
    households.triage(seen, _draft(), actor=staff)
    db.session.commit()
    households.decline(unseen, actor=staff, reason="重复转介")
    db.session.commit()
    rest, cursor, _sizes = _read_all(api, cursor=page["next_cursor"])
    ids = [o["id"] for o in rest]
    # The 50 not yet read (the declined one among them, moved to its new place), then the triaged one again.
    assert len(ids) == len(set(ids)) == 51
    assert ids[-2:] == [str(seen.id), str(unseen.id)]
    assert rest[-2]["status"] == "triaged" and rest[-1]["status"] == "declined"
    everything = {o["id"] for o in page["referrals"]} | set(ids)
    assert everything == {str(r.id) for r in made}
    assert api.get("/referrals", cursor=cursor).get_json()["referrals"] == []


def test_need_transitions_and_expiry_move_a_referral_to_the_end_of_the_feed(app):
    api = api_for(app)
    first, second = _receive_many("assist-gz", 2)
    staff = make_user(Role.ADMIN)
    need = households.triage(first, _draft(), actor=staff)
    db.session.commit()
    _objects, cursor, _sizes = _read_all(api, updated_since=SINCE)
    transitions.publish(need, actor=staff)
    db.session.commit()
    body = api.get("/referrals", cursor=cursor).get_json()
    assert [(o["id"], o["status"]) for o in body["referrals"]] == [(str(first.id), "published")]
    need.claim_deadline = today_shanghai() - timedelta(days=1)
    db.session.commit()
    assert transitions.expire_overdue(today_shanghai()) == 1
    db.session.commit()
    again = api.get("/referrals", cursor=body["next_cursor"]).get_json()["referrals"]
    assert [(o["id"], o["needs"][0]["status"]) for o in again] == [(str(first.id), "expired")]
    assert str(second.id) not in {o["id"] for o in again}


def test_updated_since_is_inclusive_and_filters_older_changes(app):
    api = api_for(app)
    old, new = _receive_many("assist-gz", 2)
    t = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    db.session.execute(sa.update(Referral).where(Referral.id == old.id).values(changed_at=t - timedelta(seconds=1)))
    db.session.execute(sa.update(Referral).where(Referral.id == new.id).values(changed_at=t))
    db.session.commit()
    for since in ("2026-11-22T10:00:00+08:00", "2026-11-22T02:00:00Z", "2026-11-22t02:00:00z",
                  "2026-11-22T10:00:00 08:00"):  # the last: a '+' the client forgot to URL-encode
        ids = [o["id"] for o in api.get("/referrals", updated_since=since).get_json()["referrals"]]
        assert ids == [str(new.id)], since


def test_the_feed_shows_only_the_sources_own_referrals(app):
    mine, theirs = api_for(app, "assist-gz"), api_for(app, "other-system")
    _receive_many("assist-gz", 3)
    assert len(mine.get("/referrals", updated_since=SINCE).get_json()["referrals"]) == 3
    assert theirs.get("/referrals", updated_since=SINCE).get_json()["referrals"] == []


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(("param", "value"), [
    ("updated_since", "yesterday"), ("updated_since", "2026-11-20"), ("updated_since", "2026-11-20T10:00:00"),
    ("updated_since", "2026-13-40T10:00:00Z"), ("updated_since", ""),
    ("cursor", "abc"), ("cursor", ""), ("cursor", "!!!"), ("cursor", "é"), ("cursor", _b64(b"[1,2]")),
    ("cursor", _b64(json.dumps({"s": "2026-11-20T00:00:00+00:00", "q": -1, "i": 0}).encode())),
    ("cursor", _b64(json.dumps({"s": "2026-11-20T00:00:00", "q": 1, "i": 0}).encode())),
    ("cursor", _b64(json.dumps({"s": "x", "q": 1, "i": 0}).encode())),
    ("cursor", _b64(json.dumps({"s": "2026-11-20T00:00:00+00:00", "q": 2**64, "i": 0}).encode())),
    ("cursor", _b64(json.dumps({"s": "0001-01-01T00:00:00+01:00", "q": 1, "i": 0}).encode())),
    ("cursor", _b64(json.dumps({"s": "2026-11-20T00:00:00+00:00", "q": "1", "i": 0}).encode())),
])
def test_a_malformed_updated_since_or_cursor_is_422(app, param, value):
    response = api_for(app).get("/referrals", **{param: value})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == [param]


def test_the_cursor_is_opaque_text_that_a_client_passes_back_alone(app):
    api = api_for(app)
    _receive_many("assist-gz", 1)
    cursor = api.get("/referrals", updated_since=SINCE).get_json()["next_cursor"]
    assert isinstance(cursor, str) and cursor.replace("-", "").replace("_", "").isalnum()
    # With both, the cursor decides (the time it carries is the one the client started from).
    both = api.get("/referrals", cursor=cursor, updated_since=SINCE).get_json()
    assert both["referrals"] == []
