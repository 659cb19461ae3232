"""The demo's renovation projects: several milestones, pledges and gifts, 一事一议, idempotent, pseudonymous."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.demo.loop import SOURCE
from marketplace.demo.projects import PROJECTS
from marketplace.donations.models import Donation, DonationAllocation
from marketplace.extensions import db
from marketplace.households.models import Household, Referral
from marketplace.needs.privacy import personal_data_in
from marketplace.projects.models import (
    Inspection,
    MaintenanceRequest,
    Milestone,
    PlanLine,
    Pledge,
    Project,
    ProjectMilestone,
    ProjectPhoto,
)
from marketplace.settings import service as settings
from tests.conftest import load_demo

MODELS = (Project, PlanLine, ProjectMilestone, ProjectPhoto, Pledge, Donation, DonationAllocation, Inspection,
          MaintenanceRequest, Referral, Household, AuditEvent)


def _counts() -> dict[str, int]:
    counts = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in MODELS}
    for column in (Project.milestone, Pledge.status, Donation.status):
        rows = db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all()
        counts.update({f"{column.class_.__tablename__}.{value}": n for value, n in rows})
    counts["confirmed_fen"] = db.session.scalar(sa.select(sa.func.sum(PlanLine.confirmed_fen)))
    counts["reserved_fen"] = db.session.scalar(sa.select(sa.func.sum(PlanLine.reserved_fen)))
    return counts


@pytest.fixture
def loaded(app):  # type: ignore[no-untyped-def]
    load_demo(app)
    return app


def test_demo_projects_span_the_milestones_with_pledges_gifts_and_an_over_cap_plan(loaded):  # type: ignore[no-untyped-def]
    projects = db.session.scalars(sa.select(Project).order_by(Project.id)).all()
    assert len(projects) == len(PROJECTS) >= 3
    assert {p.milestone for p in projects} >= {Milestone.SURVEYED, Milestone.PLAN_APPROVED, Milestone.COVERED,
                                                Milestone.WORKS_STARTED, Milestone.ACCEPTED}
    assert {p.district_code for p in projects} == {"440104", "440106"}
    assert all(p.household.source == SOURCE and p.lines and p.photos for p in projects)
    for project in projects:
        reached = [m.milestone for m in project.milestones if m.reached_at is not None]
        assert reached[-1] == project.milestone
        if project.milestone != Milestone.SURVEYED and project.milestone != Milestone.PLAN_APPROVED:
            assert project.confirmed_fen == project.total_fen
    waiting = next(p for p in projects if p.milestone == Milestone.PLAN_APPROVED)
    assert 0 < waiting.confirmed_fen < waiting.reserved_fen < waiting.total_fen  # room left for gifts
    statuses = {p.status for p in db.session.scalars(sa.select(Pledge))}
    assert {"confirmed", "delivered"} <= statuses
    assert {p.organisation.status for p in db.session.scalars(sa.select(Pledge))} == {"approved"}
    assert {p.organisation.kind for p in db.session.scalars(sa.select(Pledge))} == {"company", "charity"}

    over = [p for p in projects if p.total_fen > settings.get("renovation_cap_fen")]
    assert len(over) == 1 and over[0].over_cap_approved_fen == over[0].total_fen and over[0].over_cap_reason
    assert over[0].milestone == Milestone.WORKS_STARTED
    approver = over[0].over_cap_approved_by_id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "project.over_cap",
                                                         AuditEvent.actor_id == approver)) is not None
    assert db.session.get(User, approver).role == Role.ADMIN

    gifts = db.session.scalars(sa.select(Donation)).all()
    assert gifts and {d.status for d in gifts} == {"succeeded"}
    assert all(d.project_fen == d.amount_fen == sum(a.amount_fen for a in d.allocations) for d in gifts)
    assert {d.show_name for d in gifts} == {True, False}
    accepted = next(p for p in projects if p.milestone == Milestone.ACCEPTED)
    assert accepted.inspections and accepted.maintenance


def test_second_load_changes_no_project_pledge_or_gift(loaded):  # type: ignore[no-untyped-def]
    before = _counts()
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _counts() == before


def test_project_pages_show_no_personal_data(loaded):  # type: ignore[no-untyped-def]
    secrets = set()
    for household in db.session.scalars(sa.select(Household)):
        secrets.update(v for v in (household.head_name, household.phone, household.address, household.id_number) if v)
    projects = db.session.scalars(sa.select(Project)).all()
    for project in projects:
        for text in (project.title, project.story):
            assert personal_data_in(text, project.household) is None, (project.id, text)
    client = loaded.test_client()
    urls = ["/projects", *[f"/projects?milestone={m.value}" for m in Milestone]]
    urls += [f"/projects/{p.id}" for p in projects] + [f"/projects/{p.id}/give" for p in projects]
    urls += ["/leaderboards"]
    shown = 0
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 404), url
        page = response.get_data(as_text=True)
        leaked = [s for s in secrets if s in page]
        assert not leaked, (url, leaked)
        shown += response.status_code == 200
    assert shown >= len(urls) - 1
    listing = client.get("/projects").get_data(as_text=True)
    assert all(p.title in listing for p in projects)
