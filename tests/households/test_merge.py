"""Duplicate households of a region, and merging a pair: everything moves, the old number redirects."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households import identity, intake, merge
from marketplace.households.models import Household, HouseholdMerge, Referral
from marketplace.needs.models import Need
from marketplace.projects.models import Project
from marketplace.unit_of_work import transaction
from tests.api.support import api_for
from tests.conftest import make_need, make_user, referral_payload
from tests.projects.support import make_project

ID_NUMBER = "440104195503034321"


def _legacy_duplicate(household: Household) -> None:
    """Make `household` share ID_NUMBER as if both had been on file before the one-file rule."""
    household.id_number, household.identity_key = ID_NUMBER, None
    db.session.commit()


def _pair() -> tuple[Need, Need]:
    """Two needs of two households with one ID number: the older holds the number's key."""
    kept = make_need("published", household={"id_number": ID_NUMBER})
    other = make_need("claimed")
    _legacy_duplicate(other.household)
    return kept, other


def test_staff_of_the_region_see_likely_duplicates_by_id_number_and_by_name_and_phone(as_role):
    kept, other = _pair()
    by_name = make_need("draft", household={"head_name": "赵六", "phone": "13900001111"})
    again = make_need("draft", household={"head_name": "赵 六", "phone": "+86 139-0000-1111"})
    make_need("draft", household={"head_name": "赵六", "phone": "13900002222"})  # same name, another phone
    pairs = {(p.first.id, p.second.id): p.reason for p in merge.duplicate_pairs()}
    assert pairs == {(kept.household_id, other.household_id): "id_number",
                     (by_name.household_id, again.household_id): "name_phone"}
    page = as_role(Role.STAFF, region="440104").get("/staff/households/duplicates").get_data(as_text=True)
    assert f"家庭 #{kept.household_id} 与家庭 #{other.household_id} · 身份证号相同" in page
    assert "姓名和电话相同" in page and ID_NUMBER not in page and "赵六" not in page
    elsewhere = as_role(Role.STAFF, region="440106").get("/staff/households/duplicates").get_data(as_text=True)
    assert "本辖区没有疑似重复的家庭档案" in elsewhere


def test_merging_moves_needs_referrals_and_projects_and_the_old_number_redirects(app, as_role):
    api = api_for(app, "test-source")
    kept, other = _pair()
    project = make_project("surveyed")
    db.session.execute(sa.update(Project).where(Project.id == project.id).values(household_id=other.household_id))
    db.session.commit()
    kept_id, old_id, old_source_id = kept.household_id, other.household_id, other.household.external_id
    moved_referral = other.referral
    before = api.get(f"/referrals/{moved_referral.external_id}").get_json()
    staff = as_role(Role.STAFF, region="440104")
    response = staff.post("/staff/households/merge", data={"kept": kept_id, "first": kept_id, "second": old_id,
                                                          "reason": "同一身份证号，重复建档"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/staff/households/{kept_id}")
    db.session.rollback()
    assert db.session.get(Household, old_id) is None
    household = db.session.get(Household, kept_id)
    assert {n.id for n in household.needs} == {kept.id, other.id}
    assert len(household.referrals) == 2 and db.session.get(Project, project.id).household_id == kept_id
    redirected = staff.get(f"/staff/households/{old_id}")
    assert redirected.status_code == 302 and redirected.headers["Location"].endswith(f"/staff/households/{kept_id}")
    page = staff.get(f"/staff/households/{kept_id}").get_data(as_text=True)
    assert "将一户重复的家庭档案并入此户" in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "household.merge"))
    assert event.actor_id == staff.user.id and event.object_id == str(kept_id)
    assert event.after == {"merged_id": old_id, "reason": "同一身份证号，重复建档", "moved_referrals": 1,
                           "moved_needs": 1}
    # The moved referral's status object names the kept household now, and the change feed carries it.
    after = api.get(f"/referrals/{moved_referral.external_id}").get_json()
    assert after["household"] == identity.token("test-source", kept_id) != before["household"]
    assert after["updated_at"] >= before["updated_at"]
    assert db.session.get(Referral, moved_referral.id).change_seq > 0
    assert not [p for p in merge.duplicate_pairs() if p.reason == "id_number"]
    # The merged household's own id at its source still finds the kept household.
    assert db.session.get(HouseholdMerge, old_id).external_id == old_source_id
    again = referral_payload(household={"external_id": old_source_id})
    again["household"].pop("id_number")
    assert intake.receive("test-source", again).referral.household_id == kept_id


def test_merging_into_itself_across_districts_or_beyond_one_s_scope_is_refused(as_role):
    kept, other = _pair()
    admin, street_staff = make_user(Role.ADMIN), make_user(Role.STAFF, region="440104003")
    with pytest.raises(merge.MergeError, match="并入它自己"):
        merge.merge(kept.household, kept.household, actor=admin)
    elsewhere = make_need("draft", household={"region_code": "440106", "street": "五山街道"})
    with pytest.raises(merge.MergeError, match="不同区"):
        merge.merge(kept.household, elsewhere.household, actor=admin)
    other.household.street_code = "440104001"  # 洪桥街道: not this street staff's
    db.session.commit()
    with pytest.raises(merge.MergeError, match="同时负责"):
        merge.merge(kept.household, other.household, actor=street_staff)
    db.session.rollback()
    staff = as_role(Role.STAFF, region="440104003")
    response = staff.post("/staff/households/merge", data={"kept": kept.household_id, "first": kept.household_id,
                                                          "second": other.household_id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/households/duplicates")
    page = staff.get("/staff/households/duplicates").get_data(as_text=True)
    assert "只有同时负责这两户所在辖区的工作人员才能合并" in page
    assert db.session.get(Household, other.household_id) is not None  # nothing merged
    self_merge = as_role(Role.ADMIN).post("/staff/households/merge", data={
        "kept": kept.household_id, "first": kept.household_id, "second": kept.household_id}, follow_redirects=True)
    assert "不能把一户并入它自己" in self_merge.get_data(as_text=True)


def test_two_merges_of_one_pair_at_the_same_moment_merge_it_once(app):
    kept, other = _pair()
    admins = [make_user(Role.ADMIN) for _ in range(2)]
    pairs = [(kept.household_id, other.household_id), (other.household_id, kept.household_id)]
    start = threading.Barrier(2)

    def run(args: tuple[int, tuple[int, int]]) -> str:
        admin_id, (kept_id, merged_id) = args
        with app.app_context():
            start.wait()
            try:
                with transaction():
                    kept, merged = db.session.get(Household, kept_id), db.session.get(Household, merged_id)
                    if kept is None or merged is None:
                        return "gone"  # the other merge committed first
                    merge.merge(kept, merged, actor=db.session.get(User, admin_id))
                return "merged"
            except merge.MergeError:
                return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, [(admins[i].id, pairs[i]) for i in range(2)]))
    db.session.rollback()
    assert results.count("merged") == 1, results
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HouseholdMerge)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 2


def test_the_command_line_reports_duplicates_without_personal_data(app):
    kept, other = _pair()
    result = app.test_cli_runner().invoke(args=["households", "duplicates"])
    assert result.exit_code == 0, result.output
    assert f"#{kept.household_id}\t#{other.household_id}\tid_number" in result.output
    assert "1 likely duplicate pair(s)" in result.output and ID_NUMBER not in result.output


def test_merging_two_planned_households_keeps_one_visit_plan_with_the_later_visit(app):
    from datetime import timedelta

    from marketplace import clock
    from marketplace.visits import plans
    from marketplace.visits.models import VisitPlan

    kept, other = _pair()
    now = clock.now()
    for household, days_ago in ((kept.household, 40), (other.household, 3)):
        plans.plan_for(household, now).last_visit_at = now - timedelta(days=days_ago)
    db.session.commit()
    merge.merge(kept.household, other.household, actor=make_user(Role.ADMIN))
    db.session.commit()
    rows = db.session.scalars(sa.select(VisitPlan)).all()
    assert [r.household_id for r in rows] == [kept.household_id]  # one plan per household, no unique clash
    assert clock.local(rows[0].last_visit_at).date() == clock.local(now - timedelta(days=3)).date()
