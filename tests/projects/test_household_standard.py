"""The ¥80,000 renovation standard is per household: its plans across projects within the window count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.projects import service
from marketplace.projects.models import Milestone, Project
from marketplace.settings import service as settings
from tests.conftest import make_user, referral_payload

ID_NUMBER = "440104194807071357"


def _project(staff: User, amount_fen: int = 7_900_000, id_number: str = ID_NUMBER) -> Project:
    """A surveyed project of the household with this ID number, its plan one line of `amount_fen`."""
    payload = referral_payload(kind="renovation", category="housing", title="危房修缮", estimated_value_fen=amount_fen,
                               household={"group": "housing_difficulty", "id_number": id_number})
    referral = intake.receive("test-source", payload, actor=staff).referral
    need = service.renovation_need(referral, actor=staff, title="屋顶漏水", story="W伯，80岁，独居，屋顶漏雨。")
    project = service.create(need, actor=staff, survey_notes="屋顶漏水。", surveyed_on=today_shanghai())
    service.add_line(project, actor=staff, kind="materials", description="屋顶", quantity="1", amount_fen=amount_fen)
    db.session.commit()
    return project


def test_two_79000_projects_of_one_household_the_second_needs_one_off_approval(app, as_role):
    admin, staff = make_user(Role.ADMIN), make_user(Role.STAFF)
    first = _project(staff)
    service.approve_plan(first, actor=staff)  # ¥79,000: within the standard
    db.session.commit()
    second = _project(staff)
    assert second.household_id == first.household_id  # one ID number, one household
    assert service.household_plans_fen(second) == 15_800_000 and service.over_cap(second)
    with pytest.raises(service.ProjectError, match="一事一议"):
        service.approve_plan(second, actor=staff)
    db.session.rollback()
    assert db.session.get(Project, second.id).milestone == Milestone.SURVEYED
    page = as_role(Role.STAFF).get(f"/staff/projects/{second.id}").get_data(as_text=True)
    assert "该户近5年的改造方案（含本项目）合计：¥158,000.00" in page
    assert "连同该户的其他改造方案（合计¥158,000.00），已超过每户标准" in page
    with pytest.raises(PermissionError):
        service.grant_over_cap(second, actor=staff, reason="房屋再次受灾")
    service.grant_over_cap(second, actor=admin, reason="台风后房屋再次受损，经评议同意")
    service.approve_plan(second, actor=staff)
    db.session.commit()
    assert second.milestone == Milestone.PLAN_APPROVED
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "project.over_cap"))
    assert event.actor_id == admin.id and event.after["household_fen"] == 15_800_000
    assert event.after["reason"] == "台风后房屋再次受损，经评议同意"
    page = as_role(Role.STAFF).get(f"/staff/projects/{second.id}").get_data(as_text=True)
    assert "台风后房屋再次受损，经评议同意" in page


def test_another_household_and_plans_older_than_the_window_do_not_count(app):
    staff, admin = make_user(Role.STAFF), make_user(Role.ADMIN)
    first = _project(staff)
    service.approve_plan(first, actor=staff)
    db.session.commit()
    assert not service.over_cap(_project(staff, id_number="440104194807072468"))  # another household
    first.surveyed_on = today_shanghai() - timedelta(days=6 * 366)  # six years ago: outside the 5-year window
    db.session.commit()
    second = _project(staff)
    assert service.household_plans_fen(second) == 7_900_000
    settings.set_value("renovation_window_years", 10, actor=admin)
    db.session.commit()
    assert service.over_cap(second)  # a ten-year window counts it again
    with pytest.raises(service.ProjectError):
        service.approve_plan(second, actor=staff)


def test_a_plan_still_being_surveyed_is_not_counted_yet(app):
    staff = make_user(Role.STAFF)
    first, second = _project(staff), _project(staff)
    assert service.household_plans_fen(first) == service.household_plans_fen(second) == 7_900_000
    service.approve_plan(second, actor=staff)
    db.session.commit()
    with pytest.raises(service.ProjectError, match="一事一议"):
        service.approve_plan(first, actor=staff)


def test_the_window_starts_the_same_day_years_ago():
    assert service.window_start(date(2026, 12, 2), 5) == date(2021, 12, 2)
    assert service.window_start(date(2028, 2, 29), 5) == date(2023, 2, 28)
