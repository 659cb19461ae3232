"""The demo's one-file-per-household parts: a duplicate pair to merge, a plan near the standard."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.households import merge
from marketplace.households.models import Household, HouseholdMerge
from marketplace.projects import service
from marketplace.projects.models import Milestone, Project
from tests.conftest import load_demo


@pytest.fixture
def loaded(app):  # type: ignore[no-untyped-def]
    load_demo(app)
    return app


def test_the_demo_holds_a_duplicate_pair_to_merge_and_merged_it_stays_merged(loaded):  # type: ignore[no-untyped-def]
    pairs = [p for p in merge.duplicate_pairs() if p.reason == "id_number"]
    assert len(pairs) == 1 and pairs[0].second.source == "street-office-2019"
    assert len(pairs[0].second.referrals) == 1
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@shanlian.demo"))
    households = db.session.scalar(sa.select(sa.func.count()).select_from(Household))
    merge.merge(pairs[0].first, pairs[0].second, actor=admin, reason="同一身份证号")
    db.session.commit()
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])  # loading again does not bring it back
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == households - 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HouseholdMerge)) == 1
    assert not [p for p in merge.duplicate_pairs() if p.reason == "id_number"]


def test_the_demo_has_a_household_with_one_big_plan_near_the_standard(loaded):  # type: ignore[no-untyped-def]
    near = [p for p in db.session.scalars(sa.select(Project).where(Project.milestone == Milestone.PLAN_APPROVED))
            if 7_000_000 <= service.household_plans_fen(p) <= 8_000_000]
    assert near and not service.over_cap(near[0])
