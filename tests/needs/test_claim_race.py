"""Fifty organisations claim the same wish at the same moment: exactly one wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.needs.models import Claim, Need
from tests.conftest import make_need, make_org, sign_in

CLAIMANTS = 50


def test_fifty_concurrent_claims_one_winner(app):
    need = make_need("published")
    members = [make_org(name=f"并发测试组织{i}").members[0] for i in range(CLAIMANTS)]
    clients = []
    for member in members:
        client = app.test_client()
        sign_in(client, member)
        client.get("/org/")  # shows (and so clears) the welcome message
        clients.append(client)
    need_id = need.id
    promised = (today_shanghai() + timedelta(days=3)).isoformat()
    start = threading.Barrier(CLAIMANTS)

    def claim(client):
        start.wait()
        response = client.post(f"/needs/{need_id}/claim", data={"promised_by": promised}, follow_redirects=True)
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=CLAIMANTS) as pool:
        results = list(pool.map(claim, clients))
    assert all(code == 200 for code, _ in results)
    won = [page for _, page in results if "flash-success" in page]
    lost = [page for _, page in results if "flash-error" in page]
    assert len(won) == 1 and len(lost) == CLAIMANTS - 1
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Claim).where(Claim.need_id == need_id)) == 1
    winner = db.session.get(Need, need_id)
    assert winner.status == "claimed" and winner.claimed_by_id is not None
