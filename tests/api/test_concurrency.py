"""Twenty systems (or one impatient one) send at the same moment: nothing is created twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from tests.api.support import Api, make_key
from tests.conftest import referral_payload

SENDERS = 20


def _send_all(app, key: str, payloads: list[dict]) -> list[tuple[int, dict]]:
    """POST each payload from its own thread and test client, all released at once."""
    start = threading.Barrier(len(payloads))

    def send(payload: dict) -> tuple[int, dict]:
        api = Api(app.test_client(), key)
        start.wait()
        response = api.post("/referrals", payload)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(send, payloads))


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_twenty_concurrent_sends_of_one_referral_create_exactly_one(app):
    key = make_key()
    payload = referral_payload()
    results = _send_all(app, key, [payload] * SENDERS)
    codes = sorted(code for code, _ in results)
    assert codes == [200] * (SENDERS - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert all(body["status"] == "received" for _, body in results)
    assert _count(Referral) == 1 and _count(Household) == 1


def test_concurrent_referrals_of_one_new_household_all_succeed(app):
    key = make_key()
    household = {"external_id": "H-440104-77777"}
    payloads = [referral_payload(household=household) for _ in range(SENDERS)]
    results = _send_all(app, key, payloads)
    assert [code for code, _ in results] == [201] * SENDERS, results
    assert _count(Referral) == SENDERS and _count(Household) == 1


def test_a_feed_reader_polling_during_concurrent_writes_sees_each_change_exactly_once(app):
    key = make_key()
    writers, per_writer = 8, 12
    done = threading.Event()
    seen: list[str] = []

    def write(n: int) -> list[str]:
        api = Api(app.test_client(), key)
        created = []
        for _ in range(per_writer):
            response = api.post("/referrals", referral_payload())
            assert response.status_code == 201
            created.append(response.get_json()["id"])
        return created

    def read() -> None:
        api = Api(app.test_client(), key)
        # The first page counts too: a writer may have committed before the reader's first poll.
        first = api.get("/referrals", updated_since="2000-01-01T00:00:00Z").get_json()
        seen.extend(item["id"] for item in first["referrals"])
        cursor = first["next_cursor"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            finished = done.is_set()  # read once more after the last write committed
            body = api.get("/referrals", cursor=cursor).get_json()
            seen.extend(item["id"] for item in body["referrals"])
            cursor = body["next_cursor"]
            if finished and not body["has_more"]:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            created = [i for batch in pool.map(write, range(writers)) for i in batch]
    finally:
        done.set()
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert len(created) == writers * per_writer
    assert sorted(seen) == sorted(created)  # every change, and each one once
