"""Split fulfilment: a need of 120 kits taken in parts by several organisations (docs/parts.md)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.needs import transitions
from marketplace.needs.models import Claim, Need
from tests.conftest import make_org, make_user
from tests.parts.conftest import deliver_part, soon

T = transitions.TransitionError


@pytest.fixture(autouse=True)
def english(app):
    """The refusals are read in English here (the pages' Chinese is checked by the page tests)."""
    with force_locale("en"):
        yield


@pytest.fixture
def orgs(app):
    return [make_org(name=f"分担组织{i}") for i in range(3)]


def test_parts_claim_then_close_when_every_part_is_confirmed(need120, orgs):
    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    part_a = transitions.claim(need120, actor=a, promised_by=soon(3), quantity=80)
    assert (need120.status, need120.left, part_a.quantity) == ("published", 40, 80)
    assert need120.claimed_by_id is None and need120.is_split
    part_b = transitions.claim(need120, actor=b, promised_by=soon(6))  # the default: what is left
    assert part_b.quantity == 40
    assert need120.status == "claimed" and need120.left == 0 and need120.promised_by == soon(3)
    deliver_part(need120, a)
    assert need120.status == "claimed" and part_a.part_status == "delivered"
    deliver_part(need120, b)
    assert need120.status == "delivered"
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="", part=part_a)
    assert need120.status == "delivered" and part_a.part_status == "closed"
    transitions.confirm_by_caseworker(need120, actor=staff, rating=4, feedback="都收到了")  # the one left
    assert need120.status == "closed" and need120.closed_at is not None
    assert [p.part_status for p in need120.parts] == ["closed", "closed"]


def test_more_than_left_is_refused_with_what_is_left(need120, orgs):
    transitions.claim(need120, actor=orgs[0].members[0], promised_by=soon(), quantity=100)
    db.session.commit()
    with pytest.raises(T, match="only 20 of 120"):
        transitions.claim(need120, actor=orgs[1].members[0], promised_by=soon(), quantity=30)
    db.session.rollback()
    need = db.session.get(Need, need120.id)
    assert need.claimed_quantity == 100 and len(need.parts) == 1


@pytest.mark.parametrize("quantity", [0, -3, 121])
def test_a_quantity_outside_the_need_is_refused(need120, orgs, quantity):
    with pytest.raises(T, match="choose a quantity"):
        transitions.claim(need120, actor=orgs[0].members[0], promised_by=soon(), quantity=quantity)


def test_one_part_per_organisation(need120, orgs):
    member = orgs[0].members[0]
    transitions.claim(need120, actor=member, promised_by=soon(), quantity=30)
    with pytest.raises(T, match="already holds a part"):
        transitions.claim(need120, actor=member, promised_by=soon(), quantity=30)


def test_release_of_a_part_puts_its_quantity_back(need120, orgs):
    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    transitions.claim(need120, actor=a, promised_by=soon(), quantity=60)
    part_b = transitions.claim(need120, actor=b, promised_by=soon(), quantity=60)
    assert need120.status == "claimed"
    transitions.release(need120, actor=a, reason="人手不够")
    assert need120.status == "published" and need120.left == 60
    transitions.release(need120, actor=staff, reason="联系不上", part=part_b)
    assert need120.left == 120 and not need120.is_split and need120.claimed_by_id is None
    # Taken whole afterwards, it is a need with one part covering everything.
    whole = transitions.claim(need120, actor=orgs[2].members[0], promised_by=soon())
    assert whole.quantity == 120 and need120.claimed_by_id == orgs[2].id and need120.status == "claimed"


def test_a_delivered_part_is_not_released_and_a_held_need_not_cancelled(need120, orgs):
    staff = make_user(Role.STAFF, region="440104")
    a = orgs[0].members[0]
    transitions.claim(need120, actor=a, promised_by=soon(), quantity=50)
    with pytest.raises(T):
        transitions.cancel(need120, actor=staff, reason="不需要了")
    deliver_part(need120, a)
    with pytest.raises(T):
        transitions.release(need120, actor=a)


def test_rejected_part_goes_back_to_its_organisation(need120, orgs):
    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    part_a = transitions.claim(need120, actor=a, promised_by=soon(), quantity=70)
    transitions.claim(need120, actor=b, promised_by=soon(), quantity=50)
    deliver_part(need120, a)
    deliver_part(need120, b)
    assert need120.status == "delivered"
    transitions.reject(need120, actor=staff, reason="数量不对", part=part_a)
    assert need120.status == "claimed" and part_a.part_status == "claimed"


def test_recipient_code_confirms_the_one_part_awaiting(need120, orgs, app):
    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    part_a = transitions.claim(need120, actor=a, promised_by=soon(), quantity=70)
    part_b = transitions.claim(need120, actor=b, promised_by=soon(), quantity=50)
    deliver_part(need120, a)
    deliver_part(need120, b)
    code = transitions.issue_recipient_code(need120, actor=staff)
    with pytest.raises(T, match="Several deliveries"):
        transitions.confirm_by_recipient(code, rating=5, feedback="")
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="", part=part_a)
    transitions.confirm_by_recipient(code, rating=4, feedback="收到")
    assert part_b.part_status == "closed" and part_b.confirmed_via == "recipient"
    assert need120.status == "closed"


def test_a_need_taken_whole_keeps_one_part(app):
    from tests.conftest import make_need

    need = make_need("closed")
    (part,) = need.parts
    assert part.quantity == need.quantity and part.part_status == "closed" and not need.is_split
    assert part.confirmed_via == "caseworker"


def test_staff_confirm_needs_a_part_when_several_await(need120, orgs):
    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    transitions.claim(need120, actor=a, promised_by=soon(), quantity=70)
    transitions.claim(need120, actor=b, promised_by=soon(), quantity=50)
    deliver_part(need120, a)
    deliver_part(need120, b)
    with pytest.raises(T, match="choose which part"):
        transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="")
    assert db.session.scalar(db.select(db.func.count()).select_from(Claim).where(Claim.status == "completed")) == 0


def test_points_count_per_confirmed_part(need120, orgs):
    from datetime import timedelta

    from marketplace import clock
    from marketplace.leaderboards import points

    staff = make_user(Role.STAFF, region="440104")
    need120.value_fen = 1_200_000  # ¥12,000 for 120 kits: ¥100 each
    db.session.commit()
    a, b = orgs[0].members[0], orgs[1].members[0]
    pa = transitions.claim(need120, actor=a, promised_by=soon(), quantity=90)
    transitions.claim(need120, actor=b, promised_by=soon(), quantity=30)
    deliver_part(need120, a)
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="", part=pa)
    now = clock.now()
    board = orgs[0].kind
    scores = {s.participant_id: s.points for s in points.rank(board, now - timedelta(days=1), now + timedelta(days=1))}
    # The confirmed part counts at once, for its share (¥9,000: 90 points) and 10; the open one not yet.
    assert scores == {orgs[0].id: 10 + 90}
    deliver_part(need120, b)
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="")
    scores = {s.participant_id: s.points for s in points.rank(board, now - timedelta(days=1), now + timedelta(days=1))}
    assert scores == {orgs[0].id: 100, orgs[1].id: 10 + 30}


def _deadline_passed(need):  # type: ignore[no-untyped-def]
    need.claim_deadline = soon(-1)
    db.session.commit()


def test_a_need_held_in_part_when_its_deadline_passes_settles_on_its_parts(need120, orgs):
    from marketplace.api.status import referral_outcome
    from marketplace.audit.models import AuditEvent

    staff = make_user(Role.STAFF, region="440104")
    a, b = orgs[0].members[0], orgs[1].members[0]
    part_a = transitions.claim(need120, actor=a, promised_by=soon(3), quantity=80)
    deliver_part(need120, a)
    transitions.claim(need120, actor=b, promised_by=soon(4), quantity=20)
    db.session.commit()
    _deadline_passed(need120)
    # 20 were never taken; nobody may take them now, so the need waits only for its two parts
    assert transitions.expire_overdue(soon(0)) == 0
    assert transitions.settle_overdue_parts(soon(0)) == 1
    db.session.commit()
    db.session.expire_all()
    need = db.session.get(Need, need120.id)
    assert need.status == "claimed" and need.left == 20
    assert db.session.query(AuditEvent).filter_by(action="need.parts_settle", object_id=str(need.id)).count() == 1
    assert transitions.settle_overdue_parts(soon(0)) == 0  # once

    deliver_part(need, b)
    assert need.status == "delivered"  # the 20 never taken do not hold it back
    transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="", part=part_a)
    transitions.confirm_by_caseworker(need, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert need.status == "closed"
    assert referral_outcome(need.referral)["code"] == "partly_helped"


def test_a_part_confirmed_before_the_deadline_closes_its_need_when_the_deadline_passes(need120, orgs):
    from marketplace.api.status import referral_outcome

    staff = make_user(Role.STAFF, region="440104")
    a = orgs[0].members[0]
    transitions.claim(need120, actor=a, promised_by=soon(3), quantity=50)
    deliver_part(need120, a)
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="")
    db.session.commit()
    assert need120.status == "published" and need120.left == 70  # still open for the other 70
    assert referral_outcome(need120.referral) is None
    _deadline_passed(need120)
    assert transitions.settle_overdue_parts(soon(0)) == 1
    db.session.commit()
    db.session.expire_all()
    need = db.session.get(Need, need120.id)
    assert need.status == "closed" and need.closed_at is not None
    assert referral_outcome(need.referral)["code"] == "partly_helped"
