"""Every transition of a need, allowed and refused, for each role and state (DESIGN.md §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.needs import transitions
from marketplace.needs.models import Claim, Need
from tests.conftest import make_need, make_org, make_user, tiny_jpeg

STATES = ["draft", "published", "claimed", "delivered", "closed"]
T = transitions.TransitionError


def _soon(days: int = 5):
    return today_shanghai() + timedelta(days=days)


@pytest.fixture
def people(app):
    org = make_org()
    return {
        "staff": make_user(Role.STAFF, region="440104"),
        "street_staff": make_user(Role.STAFF, region="440104003"),
        "other_staff": make_user(Role.STAFF, region="440106"),
        "admin": make_user(Role.ADMIN),
        "claimer_org": org,
        "claimer": org.members[0],
        "other_member": make_org().members[0],
        "pending_member": make_org(status="pending").members[0],
    }


def _need(people, status):
    return make_need(status, staff=people["admin"], org=people["claimer_org"])


# (operation, states it is allowed from, the state it leads to)
STAFF_OPERATIONS = {
    "publish": (lambda n, a: transitions.publish(n, actor=a), {"draft"}, "published"),
    "cancel": (lambda n, a: transitions.cancel(n, actor=a, reason="重复转介"), {"draft", "published"}, "cancelled"),
    "release": (lambda n, a: transitions.release(n, actor=a, reason="联系不上"), {"claimed"}, "published"),
    "confirm": (lambda n, a: transitions.confirm_by_caseworker(n, actor=a, rating=4, feedback="已回访"),
                {"delivered"}, "closed"),
    "reject": (lambda n, a: transitions.reject(n, actor=a, reason="照片看不清"), {"delivered"}, "claimed"),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("operation", list(STAFF_OPERATIONS))
def test_staff_operations_from_every_state(people, state, operation):
    run, allowed_from, target = STAFF_OPERATIONS[operation]
    need = _need(people, state)
    events_before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    if state in allowed_from:
        run(need, people["staff"])
        db.session.commit()
        db.session.refresh(need)
        assert need.status == target
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) > events_before
    else:
        with pytest.raises(T):
            run(need, people["staff"])
        db.session.rollback()
        assert db.session.get(Need, need.id).status == state


# The claiming organisation may release its own claim (tested below), so that pair is not here.
REFUSED = [(op, who) for op in STAFF_OPERATIONS for who in ("other_staff", "claimer", "other_member")
           if (op, who) != ("release", "claimer")]


@pytest.mark.parametrize(("operation", "who"), REFUSED)
def test_staff_operations_refused_to_others(people, operation, who):
    run, allowed_from, _target = STAFF_OPERATIONS[operation]
    need = _need(people, sorted(allowed_from)[0])
    with pytest.raises(PermissionError):
        run(need, people[who])
    db.session.rollback()
    assert db.session.get(Need, need.id).status == sorted(allowed_from)[0]


def test_street_staff_act_only_on_their_street(people):
    need = _need(people, "draft")  # 北京街道 440104003
    transitions.publish(need, actor=people["street_staff"])
    assert need.status == "published"
    elsewhere = make_need("draft", staff=people["admin"], household={"street": "洪桥街道"})
    with pytest.raises(PermissionError):
        transitions.publish(elsewhere, actor=people["street_staff"])


@pytest.mark.parametrize("state", STATES)
def test_claim_only_from_published(people, state):
    need = _need(people, state) if state not in ("claimed", "delivered", "closed") else _need(people, state)
    member = people["other_member"]
    if state == "published":
        transitions.claim(need, actor=member, promised_by=_soon())
        assert need.status == "claimed" and need.claimed_by_id == member.organisation_id
        assert need.active_claim.organisation_id == member.organisation_id
    else:
        with pytest.raises(T) as refused:
            transitions.claim(need, actor=member, promised_by=_soon())
        if state in ("claimed", "delivered", "closed"):
            with force_locale("en"):  # the message is translated; check its English source
                assert "just taken" in str(refused.value)


def test_claim_refused_to_pending_orgs_staff_and_bad_dates(people):
    need = _need(people, "published")
    with pytest.raises(T):
        transitions.claim(need, actor=people["pending_member"], promised_by=_soon())
    with pytest.raises(PermissionError):
        transitions.claim(need, actor=people["staff"], promised_by=_soon())
    with pytest.raises(T):
        transitions.claim(need, actor=people["other_member"], promised_by=today_shanghai() - timedelta(days=1))
    with pytest.raises(T):
        transitions.claim(need, actor=people["other_member"], promised_by=need.fulfil_by + timedelta(days=1))
    assert need.status == "published"


def test_claimer_releases_and_another_org_may_claim(people):
    need = _need(people, "claimed")
    with pytest.raises(PermissionError):
        transitions.release(need, actor=people["other_member"])
    transitions.release(need, actor=people["claimer"], reason="人手不足")
    assert need.status == "published" and need.claimed_by_id is None
    assert db.session.scalars(db.select(Claim.status).where(Claim.need_id == need.id)).all() == ["released"]
    transitions.claim(need, actor=people["other_member"], promised_by=_soon())
    assert need.claimed_by_id == people["other_member"].organisation_id


def test_staff_reassign_revokes_the_old_claim(people):
    need = _need(people, "claimed")
    new_org = people["other_member"].organisation
    transitions.reassign(need, actor=people["staff"], organisation=new_org, promised_by=_soon())
    statuses = db.session.scalars(db.select(Claim.status).where(Claim.need_id == need.id).order_by(Claim.id)).all()
    assert statuses == ["revoked", "active"] and need.claimed_by_id == new_org.id
    with pytest.raises(T):
        transitions.reassign(need, actor=people["staff"], organisation=people["pending_member"].organisation,
                             promised_by=_soon())


def test_delivery_needs_a_photo_or_receipt_from_the_claimer(people):
    need = _need(people, "claimed")
    with pytest.raises(T):
        transitions.deliver(need, actor=people["claimer"])
    transitions.add_evidence(need, actor=people["claimer"], kind="note", note="已联系老人")
    with pytest.raises(T):
        transitions.deliver(need, actor=people["claimer"])
    with pytest.raises(PermissionError):
        transitions.add_evidence(need, actor=people["other_member"], kind="note", note="x")
    stored = storage.store_photo(tiny_jpeg())
    transitions.add_evidence(need, actor=people["claimer"], kind="photo", stored=stored)
    with pytest.raises(PermissionError):
        transitions.deliver(need, actor=people["other_member"])
    transitions.deliver(need, actor=people["claimer"])
    assert need.status == "delivered"


def test_recipient_code_closes_once(people):
    need = _need(people, "claimed")
    code = transitions.issue_recipient_code(need, actor=people["staff"])
    db.session.commit()
    with pytest.raises(T) as early:
        transitions.confirm_by_recipient(code, rating=5, feedback="")
    with force_locale("en"):
        assert "not marked this need delivered" in str(early.value)
    transitions.add_evidence(need, actor=people["claimer"], kind="receipt", stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(need, actor=people["claimer"])
    with pytest.raises(T):
        transitions.confirm_by_recipient("WRONG-CODE1", rating=5, feedback="")
    closed = transitions.confirm_by_recipient(code.lower().replace("-", " "), rating=5, feedback="谢谢")
    assert closed.id == need.id and need.status == "closed" and need.confirmed_via == "recipient"
    with pytest.raises(T):
        transitions.confirm_by_recipient(code, rating=5, feedback="again")


def test_only_confirmation_closes_and_rating_is_bounded(people):
    need = _need(people, "delivered")
    with pytest.raises(T):
        transitions.confirm_by_caseworker(need, actor=people["staff"], rating=6, feedback="")
    assert need.status == "delivered"
    transitions.confirm_by_caseworker(need, actor=people["staff"], rating=3, feedback="基本满意")
    assert need.status == "closed" and need.rating == 3 and need.closed_at is not None
    assert db.session.scalars(db.select(Claim.status).where(Claim.need_id == need.id)).all() == ["completed"]


def test_expiry_and_replan(people):
    need = _need(people, "published")
    need.claim_deadline = today_shanghai() - timedelta(days=1)
    db.session.commit()
    assert transitions.expire_overdue(today_shanghai()) == 1
    assert transitions.expire_overdue(today_shanghai()) == 0  # idempotent
    db.session.refresh(need)
    assert need.status == "expired"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "need.expire")).object_id == str(need.id)
    with pytest.raises(T):
        transitions.claim(need, actor=people["other_member"], promised_by=_soon())
    transitions.replan(need, actor=people["staff"], claim_deadline=_soon(3), fulfil_by=_soon(20))
    assert need.status == "published"


def test_publish_refuses_a_wish_over_the_current_cap(people):
    from marketplace.settings import service as settings

    need = _need(people, "draft")
    settings.set_value("wish_cap_fen", 20000, actor=people["admin"])
    with pytest.raises(T):
        transitions.publish(need, actor=people["staff"])
