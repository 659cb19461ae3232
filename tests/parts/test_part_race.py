"""Eight organisations each claim 30 of 120 kits at the same moment: exactly four win."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from marketplace.extensions import db
from marketplace.needs.models import Claim, Need
from tests.conftest import make_org, sign_in
from tests.parts.conftest import big_need, soon

CLAIMANTS = 8


def test_parts_never_add_up_to_more_than_the_quantity(app):
    need = big_need(120)
    clients = []
    for i in range(CLAIMANTS):
        client = app.test_client()
        sign_in(client, make_org(name=f"分担并发{i}").members[0])
        client.get("/org/")  # shows (and so clears) the welcome message
        clients.append(client)
    need_id, promised = need.id, soon(3).isoformat()
    start = threading.Barrier(CLAIMANTS)

    def claim(client):  # type: ignore[no-untyped-def]
        start.wait()
        response = client.post(f"/needs/{need_id}/claim", data={"promised_by": promised, "quantity": "30"},
                               follow_redirects=True)
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=CLAIMANTS) as pool:
        results = list(pool.map(claim, clients))
    assert all(code == 200 for code, _ in results)
    won = [page for _, page in results if "flash-success" in page]
    lost = [page for _, page in results if "flash-error" in page]
    assert len(won) == 4 and len(lost) == CLAIMANTS - 4
    # A loser is told why: nothing (or too little) is left.
    assert all("刚刚已被其他组织认领" in page or "只剩" in page for page in lost)
    db.session.rollback()
    parts = db.session.scalars(db.select(Claim).where(Claim.need_id == need_id)).all()
    assert sorted(p.quantity for p in parts) == [30, 30, 30, 30]
    settled = db.session.get(Need, need_id)
    assert settled.claimed_quantity == 120 and settled.status == "claimed"


def test_a_late_claimer_hears_how_many_are_left(app):
    need = big_need(120)
    first, second = app.test_client(), app.test_client()
    sign_in(first, make_org(name="先到").members[0])
    sign_in(second, make_org(name="后到").members[0])
    promised = soon(3).isoformat()
    first.post(f"/needs/{need.id}/claim", data={"promised_by": promised, "quantity": "100"})
    page = second.post(f"/needs/{need.id}/claim", data={"promised_by": promised, "quantity": "30"},
                       follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in page and "只剩 20 件" in page
    db.session.rollback()
    assert db.session.get(Need, need.id).claimed_quantity == 100
