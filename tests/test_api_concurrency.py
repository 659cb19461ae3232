"""Twenty systems (or one impatient one) send at the same moment: nothing is created twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from tests.api_support import Api, make_key
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
