"""The demo's micro-wish loop: households of every group, needs in every state, no personal data leaks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace import storage, taxonomy
from marketplace.demo.loop import SOURCE
from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from marketplace.needs.models import Claim, Evidence, Need, NeedStatus
from marketplace.needs.privacy import personal_data_in
from tests.conftest import load_demo


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
    load_demo(app)
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
    # A renovation need closes with its project's acceptance, which carries no rating of its own.
    closed = db.session.scalars(sa.select(Need).where(Need.status == NeedStatus.CLOSED,
                                                      Need.kind != "renovation")).all()
    assert all(n.rating and n.feedback and n.closed_at for n in closed)
    assert {n.confirmed_via for n in closed} == {"caseworker", "recipient"}
    claimants = db.session.scalars(sa.select(Need.claimed_by_id).where(Need.claimed_by_id.is_not(None))).all()
    assert len(set(claimants)) >= 5
    delivered = sa.select(Need).where(Need.status.in_(["delivered", "closed"]), Need.kind != "renovation")
    for need in db.session.scalars(delivered):  # a renovation's photos are its project's
        photos = [e for e in need.evidence if e.kind == "photo"]
        assert photos and storage.read(photos[0].file_key)[:2] == b"\xff\xd8"


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


def test_no_organisation_or_public_page_of_the_demo_shows_personal_data(loaded):
    """Every page an organisation or the public can open, for every demo need and organisation."""
    from marketplace.accounts.models import Role, User
    from tests.conftest import sign_in

    secrets = set()
    for h in db.session.scalars(sa.select(Household)):
        secrets.update(v for v in (h.head_name, h.phone, h.address, h.id_number) if v)
    needs = db.session.scalars(sa.select(Need)).all()
    members = db.session.scalars(sa.select(User).where(User.role == Role.ORG_MEMBER)).all()
    anonymous = loaded.test_client()
    urls = ["/", "/needs", "/needs?sort=newest", "/needs?sort=waiting", "/confirm"]
    urls += [f"/needs/{n.id}" for n in needs]
    checked = 0
    for client in [anonymous, *[_signed_in(loaded, m, sign_in) for m in members[:6]]]:
        extra = ["/org/", "/org/claims", "/org/claims?status=done"] if client is not anonymous else []
        for url in urls + extra:
            response = client.get(url)
            page = response.get_data(as_text=True)
            leaked = [s for s in secrets if s in page]
            assert not leaked, (url, leaked)
            checked += response.status_code == 200
    assert checked > 100


def _signed_in(app, member, sign_in):
    from marketplace.demo.seed import DEMO_PASSWORD

    client = app.test_client()
    sign_in(client, member, DEMO_PASSWORD)
    return client


def test_the_story_guard_finds_nothing_to_fix_in_the_demo(loaded):
    result = loaded.test_cli_runner().invoke(args=["privacy", "scan"])
    assert result.exit_code == 0, result.output
    checked = int(result.output.split()[0])
    assert checked > 150 and result.output.strip().endswith(", 0 fragments the story guard refuses."), result.output
