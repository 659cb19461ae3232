"""The demo's micro-wish loop: households of every group, needs in every state, no personal data leaks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace import taxonomy
from marketplace.demo.loop import SOURCE
from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from marketplace.needs import storage
from marketplace.needs.models import Claim, Evidence, Need, NeedStatus
from marketplace.needs.privacy import personal_data_in


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _counts() -> dict[str, int]:
    counts = {model.__tablename__: _count(model) for model in (Household, Referral, Need, Claim, Evidence)}
    for column in (Need.status, Referral.status):
        rows = db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all()
        counts.update({f"{column.class_.__tablename__}.{status}": n for status, n in rows})
    return counts


@pytest.fixture
def loaded(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return app


def test_demo_loop_covers_every_group_and_state(loaded):
    households = db.session.scalars(sa.select(Household).where(Household.source == SOURCE)).all()
    assert len(households) >= 40
    assert {h.group for h in households} == set(taxonomy.HOUSEHOLD_GROUPS)
    assert {h.category for h in households} == set(taxonomy.HOUSEHOLD_CATEGORIES)
    assert {h.district_code for h in households} == {"440104", "440106"}
    assert all(h.street_code for h in households)
    counts = _counts()
    assert counts["needs"] >= 60
    for status in NeedStatus:
        assert counts.get(f"needs.{status}", 0) >= 1, status
    assert counts["referrals.received"] >= 3 and counts["referrals.declined"] == 2
    closed = db.session.scalars(sa.select(Need).where(Need.status == NeedStatus.CLOSED)).all()
    assert all(n.rating and n.feedback and n.closed_at for n in closed)
    assert {n.confirmed_via for n in closed} == {"caseworker", "recipient"}
    claimants = db.session.scalars(sa.select(Need.claimed_by_id).where(Need.claimed_by_id.is_not(None))).all()
    assert len(set(claimants)) >= 5
    for need in db.session.scalars(sa.select(Need).where(Need.status.in_(["delivered", "closed"]))):
        photos = [e for e in need.evidence if e.kind == "photo"]
        assert photos and storage.open_file(photos[0].file_key).read_bytes()[:2] == b"\xff\xd8"


def test_second_load_changes_nothing(loaded):
    before = _counts()
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _counts() == before


def test_public_texts_carry_no_personal_data(loaded):
    needs = db.session.scalars(sa.select(Need).where(Need.household.has(Household.source == SOURCE))).all()
    for need in needs:
        household = need.household
        for text in (need.title, need.story, need.feedback, need.last_reason):
            assert personal_data_in(text, household) is None, (need.id, text)
            for secret in (household.head_name, household.phone, household.id_number, household.address):
                assert secret not in text
