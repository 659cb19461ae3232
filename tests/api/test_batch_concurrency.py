"""Batches at once whose referrals share households, and an item the database itself refuses."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households.models import Household, Referral, ReferralSearch
from tests.api.support import Api, api_for, make_key
from tests.conftest import referral_payload

CLIENTS, BATCHES, ITEMS, HOUSEHOLDS = 4, 2, 60, 25


def _household(k: int) -> dict:
    return {"external_id": f"H-SHARED-{k:03d}", "head_name": f"住户{k}"}


def _count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_four_clients_sending_batches_that_share_households_store_each_referral_once(app):
    key = make_key()
    rng = random.Random(14)
    # Each batch draws the shared households in its own random order: the order that deadlocked.
    work = [[[referral_payload(household=_household(rng.randrange(HOUSEHOLDS))) for _ in range(ITEMS)]
             for _ in range(BATCHES)] for _ in range(CLIENTS)]
    work.append(work[0])  # a fifth client re-sends the first one's batches at the same moment
    start = threading.Barrier(len(work))

    def send(batches: list[list[dict]]) -> list[tuple[int, list[dict]]]:
        api = Api(app.test_client(), key)
        start.wait()
        answers = []
        for batch in batches:
            response = api.post("/referrals/batch", {"referrals": batch})
            answers.append((response.status_code, (response.get_json() or {}).get("results", [])))
        return answers

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        answers = [answer for client in pool.map(send, work) for answer in client]

    assert [status for status, _ in answers] == [207] * len(answers)
    created = Counter()
    for _status, results in answers:
        for result in results:
            assert result["status"] in (200, 201), result
            if result["status"] == 201:
                created[result["body"]["external_id"]] += 1
    sent = {item["external_id"] for client in work for batch in client for item in batch}
    assert len(sent) == CLIENTS * BATCHES * ITEMS
    assert set(created) == sent and set(created.values()) == {1}  # each referral created exactly once
    assert _count(Referral) == len(sent)
    assert _count(Household) == len({item["household"]["external_id"] for c in work for b in c for item in b})
    assert _count(ReferralSearch) == len(sent)
    assert _count(AuditEvent, AuditEvent.action == "referral.receive") == len(sent)
    # Every referral is in the change feed, once.
    api = Api(app.test_client(), key)
    page = api.get("/referrals", updated_since="2000-01-01T00:00:00Z").get_json()
    fed = [item["external_id"] for item in page["referrals"]]
    while page["has_more"]:
        page = api.get("/referrals", cursor=page["next_cursor"]).get_json()
        fed.extend(item["external_id"] for item in page["referrals"])
    assert sorted(fed) == sorted(sent)


def _refuse_title_in_the_database(title: str) -> tuple[str, str]:
    """A trigger that makes the database itself refuse a referral with this title (and how to drop it)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(
            "CREATE OR REPLACE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused deep down'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"))
        db.session.execute(sa.text("CREATE TRIGGER refuse_boom BEFORE INSERT ON referrals FOR EACH ROW "
                                   "EXECUTE FUNCTION refuse_boom()"))
        drop = ("DROP TRIGGER IF EXISTS refuse_boom ON referrals", "DROP FUNCTION IF EXISTS refuse_boom()")
    else:
        db.session.execute(sa.text(f"CREATE TRIGGER refuse_boom BEFORE INSERT ON referrals WHEN NEW.title = '{title}' "
                                   "BEGIN SELECT RAISE(ABORT, 'refused deep down'); END"))
        drop = ("DROP TRIGGER IF EXISTS refuse_boom", "SELECT 1")
    db.session.commit()
    return drop


def test_an_item_the_database_refuses_fails_alone(app):
    api = api_for(app)
    drop = _refuse_title_in_the_database("boom")
    try:
        items = [referral_payload(), referral_payload(title="boom"), referral_payload(),
                 referral_payload(title="")]
        response = api.post("/referrals/batch", {"referrals": items})
    finally:
        db.session.rollback()
        for statement in drop:
            db.session.execute(sa.text(statement))
        db.session.commit()
    assert response.status_code == 207
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 422]
    assert results[1]["body"]["error"]["code"] == "invalid"
    assert "could not be stored" in results[1]["body"]["error"]["message"]
    assert results[3]["body"]["error"]["fields"] == {"need.title": "required text"}
    stored = {items[0]["external_id"], items[2]["external_id"]}
    assert set(db.session.scalars(sa.select(Referral.external_id))) == stored
    assert _count(ReferralSearch) == 2 and _count(AuditEvent, AuditEvent.action == "referral.receive") == 2
    assert _count(Household) == 2  # the refused item's household was not kept either
    for item in (items[0], items[2]):
        assert api.get(f"/referrals/{item['external_id']}").status_code == 200
    # Sent again once the database takes it, the refused item is stored like any other.
    again = api.post("/referrals/batch", {"referrals": items[:3]}).get_json()["results"]
    assert [r["status"] for r in again] == [200, 201, 200]


def test_a_household_takes_the_data_of_the_batch_s_last_referral_for_it(app):
    api = api_for(app)
    household = {"external_id": "H-440104-55555"}
    items = [referral_payload(household={**household, "head_name": "王一", "members": 2}),
             referral_payload(household={**household, "head_name": "王二", "members": 3})]
    results = api.post("/referrals/batch", {"referrals": items}).get_json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    stored = db.session.scalars(sa.select(Household)).all()
    assert [(h.head_name, h.members) for h in stored] == [("王二", 3)]
    assert stored[0].name_hash is not None and stored[0].id_number_hash is not None
    referrals = db.session.scalars(sa.select(Referral)).all()
    assert {r.household_id for r in referrals} == {stored[0].id}
    assert all(r.change_seq > 0 for r in referrals)


def test_a_household_sent_again_unchanged_is_left_as_it_is_and_a_change_is_written(app):
    """A later batch joins its referral to the household on file; only new data rewrites the household."""
    api = api_for(app)
    household = {"external_id": "H-440104-66666", "head_name": "陈一", "members": 2, "id_number": "440104195201016666"}
    assert api.post("/referrals/batch", {"referrals": [referral_payload(household=household)]}).status_code == 207
    first = db.session.scalars(sa.select(Household)).one()
    written_at = first.updated_at
    db.session.rollback()
    again = api.post("/referrals/batch", {"referrals": [referral_payload(household=household)]}).get_json()
    assert [r["status"] for r in again["results"]] == [201]
    same = db.session.scalars(sa.select(Household)).one()
    assert same.id == first.id and same.updated_at == written_at and same.members == 2
    db.session.rollback()
    moved = api.post("/referrals/batch", {"referrals": [referral_payload(household={**household, "members": 4})]})
    assert [r["status"] for r in moved.get_json()["results"]] == [201]
    changed = db.session.scalars(sa.select(Household)).one()
    assert changed.id == first.id and changed.members == 4 and changed.updated_at > written_at
    assert {r.household_id for r in db.session.scalars(sa.select(Referral))} == {first.id}
