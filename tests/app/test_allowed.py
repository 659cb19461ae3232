"""The button and the refusal never disagree: for every state and every kind of person, what
`allowed()` offers is exactly what the transition then accepts, and the page shows exactly those forms.

Each cell of the matrix runs the real transition with valid input inside a savepoint that is rolled
back, so one object serves every person and every action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace import state, storage
from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households import service as households
from marketplace.households.models import Referral, ReferralStatus
from marketplace.needs import transitions
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.transitions import NeedAction
from marketplace.projects import service as projects
from marketplace.projects.models import (
    MILESTONES,
    Inspection,
    InspectionKind,
    Milestone,
    PledgeStatus,
    Project,
)
from marketplace.projects.service import PledgeAction, ProjectAction, RepairAction, VisitAction
from marketplace.web import Anonymous
from tests.conftest import make_need, make_org, make_user, referral_payload, sign_in, tiny_jpeg
from tests.projects.support import make_project

NEED_STATES = ["draft", "published", "published_late", "claimed", "delivered", "closed", "cancelled", "expired"]


def _accepted(operation: Callable[[], Any]) -> bool:
    """Whether the operation succeeds; everything it did is rolled back either way."""
    savepoint = db.session.begin_nested()
    try:
        operation()
    except (DomainError, PermissionError):
        return False
    finally:
        savepoint.rollback()
    return True


def _matrix(obj: Any, people: dict[str, Any], operations: dict[Any, Callable[[Any], Any]]) -> dict:
    """{(person, action): (offered by allowed(), accepted by the transition)} for every cell."""
    cells = {}
    for who, user in people.items():
        for action, operation in operations.items():
            db.session.refresh(obj)
            offered = action in state.allowed(obj, user)
            cells[who, action] = (offered, _accepted(lambda op=operation, u=user: op(u)))
    return cells


def _disagreements(cells: dict) -> list:
    return [(cell, offered, accepted) for cell, (offered, accepted) in cells.items() if offered != accepted]


# --- needs -----------------------------------------------------------------------------------

@pytest.fixture
def need_people(app) -> dict[str, Any]:
    """Everyone who might open a need's pages: the claimer's member is added per need."""
    return {
        "anonymous": Anonymous(), "admin": make_user(Role.ADMIN), "staff": make_user(Role.STAFF),
        "other_staff": make_user(Role.STAFF, region="440106"), "member": make_org().members[0],
        "pending_member": make_org(status="pending").members[0], "outlet_staff": make_user(Role.OUTLET_STAFF),
    }


def _need_in(name: str, staff: Any) -> Need:
    today = today_shanghai()
    if name in ("draft", "cancelled"):
        need = make_need("draft", staff=staff)
        if name == "cancelled":
            transitions.cancel(need, actor=staff, reason="重复")
    elif name in ("published", "published_late", "expired"):
        need = make_need("published", staff=staff)
        if name == "published_late":  # past its claim deadline, not yet expired by the scheduler
            late = today - timedelta(days=1)
            db.session.execute(sa.update(Need).where(Need.id == need.id).values(claim_deadline=late))
        if name == "expired":
            transitions.expire_overdue(need.claim_deadline + timedelta(days=1))
    else:
        need = make_need(name, staff=staff)
        if name == "claimed":  # with a photo, so a delivery can be accepted
            transitions.add_evidence(need, actor=need.claimed_by.members[0], kind="photo",
                                     stored=storage.store_photo(tiny_jpeg()))
    db.session.commit()
    db.session.refresh(need)
    return need


def _need_operations(need: Need, other_org: Any) -> dict[NeedAction, Callable[[Any], Any]]:
    today = today_shanghai()
    return {
        NeedAction.PUBLISH: lambda u: transitions.publish(need, actor=u),
        NeedAction.CANCEL: lambda u: transitions.cancel(need, actor=u, reason="不再需要"),
        NeedAction.REPLAN: lambda u: transitions.replan(need, actor=u, claim_deadline=today + timedelta(days=5),
                                                        fulfil_by=today + timedelta(days=20)),
        NeedAction.CLAIM: lambda u: transitions.claim(need, actor=u, promised_by=today + timedelta(days=1)),
        NeedAction.RELEASE: lambda u: transitions.release(need, actor=u, reason="人手不足"),
        NeedAction.REASSIGN: lambda u: transitions.reassign(need, actor=u, organisation=other_org,
                                                            promised_by=today + timedelta(days=2)),
        NeedAction.ADD_EVIDENCE: lambda u: transitions.add_evidence(need, actor=u, kind="note", note="已购买"),
        NeedAction.DELIVER: lambda u: transitions.deliver(need, actor=u),
        NeedAction.CONFIRM: lambda u: transitions.confirm_by_caseworker(need, actor=u, rating=5, feedback="好"),
        NeedAction.REJECT: lambda u: transitions.reject(need, actor=u, reason="照片不清楚"),
        NeedAction.ISSUE_CODE: lambda u: transitions.issue_recipient_code(need, actor=u),
        NeedAction.EDIT: lambda u: transitions.rewrite(need, actor=u, title="一台电饭煲",
                                                       story="L阿姨，72岁，独居，需要电饭煲。"),
        NeedAction.EXPIRE: lambda u: pytest.fail("nobody expires a need by hand"),
    }


@pytest.mark.parametrize("name", NEED_STATES)
def test_what_a_need_offers_is_what_its_transitions_accept(need_people, name):
    need = _need_in(name, need_people["admin"])
    people = dict(need_people)
    if need.claimed_by is not None:
        people["claimer"] = need.claimed_by.members[0]
    operations = _need_operations(need, make_org())
    expire = operations.pop(NeedAction.EXPIRE)
    cells = _matrix(need, people, operations)
    assert _disagreements(cells) == []
    assert not any(NeedAction.EXPIRE in state.allowed(need, user) for user in people.values()), expire
    offered = {action for (who, action), (yes, _) in cells.items() if yes and who == "staff"}
    edit = {NeedAction.EDIT} if name != "cancelled" else set()  # every text anyone still reads can be fixed
    assert offered - edit == {
        "draft": {NeedAction.PUBLISH, NeedAction.CANCEL},
        "published": {NeedAction.CANCEL, NeedAction.ISSUE_CODE},
        "published_late": {NeedAction.CANCEL, NeedAction.ISSUE_CODE},
        "claimed": {NeedAction.RELEASE, NeedAction.REASSIGN, NeedAction.ISSUE_CODE},
        "delivered": {NeedAction.CONFIRM, NeedAction.REJECT, NeedAction.ISSUE_CODE},
        "closed": set(), "cancelled": set(),
        "expired": {NeedAction.REPLAN, NeedAction.CANCEL},
    }[name] and offered >= edit
    assert cells["member", NeedAction.CLAIM] == ((True, True) if name == "published" else (False, False))
    assert cells["pending_member", NeedAction.CLAIM] == (False, False)


STAFF_FORMS = {NeedAction.PUBLISH: "publish", NeedAction.CANCEL: "cancel", NeedAction.REPLAN: "replan",
               NeedAction.RELEASE: "release", NeedAction.REASSIGN: "reassign", NeedAction.CONFIRM: "confirm",
               NeedAction.REJECT: "reject", NeedAction.ISSUE_CODE: "code", NeedAction.EDIT: "text"}
MEMBER_FORMS = {NeedAction.CLAIM: "claim", NeedAction.ADD_EVIDENCE: "evidence", NeedAction.DELIVER: "deliver",
                NeedAction.RELEASE: "release"}


@pytest.mark.parametrize("name", NEED_STATES)
def test_need_pages_show_the_forms_allowed_and_no_others(app, need_people, name):
    need = _need_in(name, need_people["admin"])
    staff = need_people["staff"]
    browser = app.test_client()
    sign_in(browser, staff)
    page = browser.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    may = state.allowed(need, staff)
    for action, path in STAFF_FORMS.items():
        assert (f'action="/staff/needs/{need.id}/{path}"' in page) == (action in may), action
    readers = [need_people["member"]] + ([need.claimed_by.members[0]] if need.claimed_by else [])
    for reader in readers:
        browser = app.test_client()
        sign_in(browser, reader)
        response = browser.get(f"/needs/{need.id}")
        if response.status_code == 404:  # a draft, cancelled or expired need is not public
            assert not state.allowed(need, reader)
            continue
        page = response.get_data(as_text=True)
        may = state.allowed(need, reader)
        for action, path in MEMBER_FORMS.items():
            assert (f'action="/needs/{need.id}/{path}"' in page) == (action in may), (reader.email, action)


def test_a_need_page_tells_a_visitor_or_a_pending_organisation_why_it_cannot_claim(app, client, need_people):
    need = _need_in("published", need_people["admin"])
    visitor = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'action="/needs/{need.id}/claim"' not in visitor and "/login?next=" in visitor
    pending = app.test_client()
    sign_in(pending, need_people["pending_member"])
    page = pending.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'action="/needs/{need.id}/claim"' not in page and 'href="/organisations/register"' not in page
    late = _need_in("published_late", need_people["admin"])
    assert "/login?next=" not in client.get(f"/needs/{late.id}").get_data(as_text=True)  # no claim section


def test_asking_about_an_action_a_kind_does_not_have_fails_loudly(need_people):
    need = _need_in("published", need_people["admin"])
    may = state.allowed(need, need_people["member"])
    assert may.claim and may.offered.claim and not may.publish
    with pytest.raises(state.UnknownAction):
        _ = may.clam


# --- projects, pledges, visits, repairs ------------------------------------------------------

@pytest.fixture
def project_people(app) -> dict[str, Any]:
    return {
        "anonymous": Anonymous(), "admin": make_user(Role.ADMIN), "staff": make_user(Role.STAFF),
        "other_staff": make_user(Role.STAFF, region="440106"), "member": make_org(kind="company").members[0],
        "pending_member": make_org(status="pending").members[0],
    }


def _project_operations(project: Project) -> dict[ProjectAction, Callable[[Any], Any]]:
    def set_due(u: Any) -> None:
        row = next((m for m in project.milestones if m.reached_at is None), None)
        projects.set_due(project, actor=u, milestone=row.milestone if row else Milestone.ACCEPTED,
                         due_on=today_shanghai() + timedelta(days=9))

    return {
        ProjectAction.EDIT_PLAN: lambda u: projects.add_line(project, actor=u, kind="other", description="门锁",
                                                             quantity="1", amount_fen=10_000),
        ProjectAction.OVER_CAP: lambda u: projects.grant_over_cap(project, actor=u, reason="结构损坏"),
        ProjectAction.APPROVE: lambda u: projects.approve_plan(project, actor=u),
        ProjectAction.PLEDGE: lambda u: projects.pledge(project, project.lines[0], actor=u, kind="money",
                                                        value_fen=10_000),
        ProjectAction.START: lambda u: projects.start_works(project, actor=u),
        ProjectAction.INSPECT: lambda u: projects.final_inspection(project, actor=u, passed=True, notes="合格"),
        ProjectAction.ACCEPT: lambda u: projects.accept(project, actor=u),
        ProjectAction.MAINTENANCE: lambda u: projects.request_maintenance(project, actor=u, description="门锁"),
        ProjectAction.SET_DUE: set_due,
        ProjectAction.EDIT_TEXT: lambda u: projects.rewrite(project, actor=u, title="屋顶漏水",
                                                            story="W伯，80岁，屋顶漏雨。"),
        ProjectAction.ADD_PHOTO: lambda u: projects.add_photo(project, actor=u, purpose="maintenance",
                                                              stored=storage.store_photo(tiny_jpeg())),
    }


@pytest.mark.parametrize("milestone", [*MILESTONES, "surveyed_over_cap"])
def test_what_a_project_offers_is_what_its_operations_accept(project_people, milestone):
    over = milestone == "surveyed_over_cap"
    project = make_project(Milestone.SURVEYED if over else milestone, lines=(6_000_000, 2_500_000) if over
                           else (3_000_000, 2_000_000), staff=project_people["admin"])
    cells = _matrix(project, project_people, _project_operations(project))
    assert _disagreements(cells) == []
    for user in project_people.values():
        assert not {ProjectAction.COVER, ProjectAction.UNCOVER} & set(state.allowed(project, user))
    assert cells["admin", ProjectAction.OVER_CAP][0] == over
    assert cells["staff", ProjectAction.APPROVE][0] == (milestone == Milestone.SURVEYED)
    assert cells["member", ProjectAction.PLEDGE][0] == (milestone == Milestone.PLAN_APPROVED)
    assert not cells["pending_member", ProjectAction.PLEDGE][0]


def test_what_a_pledge_offers_is_what_its_operations_accept(project_people):
    staff, member = project_people["staff"], project_people["member"]
    project = make_project("plan_approved", staff=staff)
    people = {**project_people, "other_member": make_org().members[0]}
    for status in PledgeStatus:
        item = projects.pledge(project, project.lines[0], actor=member, kind="money", value_fen=10_000)
        if status in (PledgeStatus.DELIVERED, PledgeStatus.CONFIRMED):
            projects.deliver_pledge(item, actor=member)
        if status == PledgeStatus.CONFIRMED:
            projects.confirm_pledge(item, actor=staff)
        if status == PledgeStatus.WITHDRAWN:
            projects.withdraw_pledge(item, actor=member)
        db.session.commit()
        cells = _matrix(item, people, {
            PledgeAction.DELIVER: lambda u, p=item: projects.deliver_pledge(p, actor=u),
            PledgeAction.CONFIRM: lambda u, p=item: projects.confirm_pledge(p, actor=u),
            PledgeAction.WITHDRAW: lambda u, p=item: projects.withdraw_pledge(p, actor=u),
        })
        assert _disagreements(cells) == [], status
        assert cells["member", PledgeAction.WITHDRAW][0] == (status in (PledgeStatus.PLEDGED, PledgeStatus.DELIVERED))
        assert cells["staff", PledgeAction.CONFIRM][0] == (status == PledgeStatus.DELIVERED)


def test_what_visits_and_repairs_offer_is_what_their_operations_accept(project_people):
    staff = project_people["staff"]
    works = make_project("works_started", staff=staff)
    accepted = make_project("accepted", staff=staff)
    for recorded in (False, True):
        visit = Inspection(project_id=works.id, kind=InspectionKind.SPOT_CHECK)
        db.session.add(visit)
        request = projects.request_maintenance(accepted, actor=staff, description="水龙头滴水")
        db.session.flush()
        if recorded:
            projects.record_spot_check(visit, actor=staff, passed=True, notes="良好")
            projects.resolve_maintenance(request, actor=staff, resolution="已更换")
        db.session.commit()
        visits = _matrix(visit, project_people, {VisitAction.RECORD: lambda u, v=visit: projects.record_spot_check(
            v, actor=u, passed=False, notes="墙面开裂")})
        repairs = _matrix(request, project_people, {RepairAction.RESOLVE: lambda u, r=request: (
            projects.resolve_maintenance(r, actor=u, resolution="已修好"))})
        assert _disagreements(visits) == [] and _disagreements(repairs) == []
        assert visits["staff", VisitAction.RECORD][0] is (not recorded)
        assert repairs["staff", RepairAction.RESOLVE][0] is (not recorded)


def test_project_pages_show_the_forms_allowed(app, project_people):
    staff, member = project_people["staff"], project_people["member"]
    surveyed = make_project("surveyed", staff=staff)
    approved = make_project("plan_approved", staff=staff)
    item = projects.pledge(approved, approved.lines[0], actor=member, kind="money", value_fen=10_000)
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, staff)
    page = browser.get(f"/staff/projects/{surveyed.id}").get_data(as_text=True)
    assert f"/staff/projects/{surveyed.id}/approve" in page and f"/staff/projects/{surveyed.id}/line" in page
    page = browser.get(f"/staff/projects/{approved.id}").get_data(as_text=True)
    assert f"/staff/projects/{approved.id}/approve" not in page and f"/staff/projects/{approved.id}/line" not in page
    assert f"/pledges/{item.id}/withdraw" in page and f"/staff/projects/pledges/{item.id}/confirm" not in page
    org = app.test_client()
    sign_in(org, member)
    page = org.get(f"/projects/{approved.id}").get_data(as_text=True)
    assert f"/pledges/{item.id}/deliver" in page and f"/projects/{approved.id}/pledge" in page
    assert f"/projects/{surveyed.id}/pledge" not in org.get(f"/projects/{surveyed.id}").get_data(as_text=True)


# --- referrals -------------------------------------------------------------------------------

def test_what_a_referral_offers_is_what_triage_accepts(app, project_people):
    admin = project_people["admin"]
    today = today_shanghai()
    draft = households.NeedDraft(kind="wish", category="daily_living", title="一台电饭煲", story="L阿姨，72岁。",
                                 quantity=1, value_fen=29900, is_urgent=False, claim_deadline=today + timedelta(days=5),
                                 fulfil_by=today + timedelta(days=20))
    for status in ReferralStatus:
        referral = intake.receive("test-source", referral_payload(), actor=admin).referral
        if status == ReferralStatus.TRIAGED:
            households.triage(referral, draft, actor=admin)
        if status == ReferralStatus.DECLINED:
            households.decline(referral, actor=admin, reason="不符合条件")
        db.session.commit()
        cells = _matrix(referral, project_people, {
            households.ReferralAction.TRIAGE: lambda u, r=referral: households.triage(r, draft, actor=u),
            households.ReferralAction.DECLINE: lambda u, r=referral: households.decline(r, actor=u, reason="重复"),
        })
        assert _disagreements(cells) == [], status
        assert cells["staff", households.ReferralAction.DECLINE][0] == (status == ReferralStatus.RECEIVED)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == len(ReferralStatus)


# --- the one conditional UPDATE --------------------------------------------------------------

def test_a_move_wins_once_and_leaves_the_object_as_the_database_holds_it(app):
    need = make_need("published")
    assert state.move(need, Need.status == NeedStatus.PUBLISHED, values={"status": NeedStatus.CANCELLED})
    assert need.status == NeedStatus.CANCELLED
    assert not state.move(need, Need.status == NeedStatus.PUBLISHED, values={"status": NeedStatus.CLAIMED})
    assert need.status == NeedStatus.CANCELLED
    db.session.rollback()


# --- meal pledges ----------------------------------------------------------------------------

def test_what_a_meal_pledge_offers_is_what_its_review_and_withdrawal_accept(app, clock_for_meals):
    from marketplace.meals import pledges as meal_pledges
    from marketplace.meals.models import PledgeStatus as MealPledgeStatus
    from marketplace.meals.pledges import PledgeAction as MealAction
    from tests.meals.support import make_company, make_outlet

    company = make_company()
    outlet = make_outlet(company)
    staff = make_user(Role.STAFF, region="440104")
    people = {"staff": staff, "other_staff": make_user(Role.STAFF, region="440106"),
              "company": company.members[0], "other_company": make_company().members[0],
              "visitor": Anonymous()}
    now = clock_for_meals
    for status in MealPledgeStatus:
        item = meal_pledges.create_pledge(outlet, actor=company.members[0], meals_per_day=5, starts_on=now.date(),
                                          ends_on=now.date(), weekdays=127, today=now.date())
        if status in (MealPledgeStatus.APPROVED, MealPledgeStatus.REJECTED):
            meal_pledges.review_pledge(item, actor=staff, approve=status == MealPledgeStatus.APPROVED,
                                       reason="不在服务时段", now=now)
        if status == MealPledgeStatus.WITHDRAWN:
            meal_pledges.withdraw_pledge(item, actor=company.members[0])
        db.session.commit()
        cells = _matrix(item, people, {
            MealAction.APPROVE: lambda u, p=item: meal_pledges.review_pledge(p, actor=u, approve=True, now=now),
            MealAction.REJECT: lambda u, p=item: meal_pledges.review_pledge(p, actor=u, approve=False,
                                                                            reason="名额已满", now=now),
            MealAction.WITHDRAW: lambda u, p=item: meal_pledges.withdraw_pledge(p, actor=u),
        })
        assert _disagreements(cells) == [], status
        assert cells["staff", MealAction.APPROVE][0] == (status == MealPledgeStatus.PENDING)
        assert cells["company", MealAction.WITHDRAW][0] == (status == MealPledgeStatus.PENDING)


@pytest.fixture
def clock_for_meals(app):
    """A moment on a weekday morning, the app's clock held there."""
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Guangzhou
    app.config["CLOCK"] = lambda: moment
    yield moment
    app.config.pop("CLOCK", None)
