"""Factories for renovation projects: a renovation need, a project brought to any milestone."""

from __future__ import annotations

from marketplace.accounts.models import Role, User
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.organisations.models import Organisation
from marketplace.projects import service
from marketplace.projects.models import MILESTONES, Project
from tests.conftest import make_org, make_user, referral_payload, tiny_jpeg


def make_renovation_need(staff: User | None = None, value_fen: int = 6_000_000):  # type: ignore[no-untyped-def]
    """A draft renovation need of 北京街道 (越秀区)."""
    staff = staff or make_user(Role.ADMIN)
    payload = referral_payload(kind="renovation", category="housing", title="危房修缮",
                               estimated_value_fen=value_fen, household={"group": "housing_difficulty"})
    received = intake.receive("test-source", payload, actor=staff)
    need = service.renovation_need(received.referral, actor=staff, title="屋顶漏水、电线老化",
                                   story="W伯，80岁，独居，屋顶漏雨。")
    db.session.commit()
    return need


def make_project(milestone: str = "plan_approved", *, lines: tuple[int, ...] = (3_000_000, 2_000_000),
                 staff: User | None = None, org: Organisation | None = None, photos: int = 0) -> Project:
    """A project brought to `milestone` through the real operations (covered by one organisation's pledges)."""
    from marketplace import storage

    staff = staff or make_user(Role.ADMIN)
    need = make_renovation_need(staff)
    stored = [storage.store_photo(tiny_jpeg()) for _ in range(photos)]
    project = service.create(need, actor=staff, survey_notes="屋顶三处漏水，电线裸露。", surveyed_on=today_shanghai(),
                             photos=stored)
    for i, amount in enumerate(lines):
        service.add_line(project, actor=staff, kind="materials" if i % 2 == 0 else "labour",
                         description=f"项目{i + 1}", quantity="1", amount_fen=amount)
    target = MILESTONES.index(milestone)
    if target >= 1:
        service.approve_plan(project, actor=staff)
    if target >= 2:
        member = (org or make_org(kind="company")).members[0]
        for line in project.lines:
            item = service.pledge(project, line, actor=member, kind="money", value_fen=line.amount_fen)
            service.deliver_pledge(item, actor=member)
            service.confirm_pledge(item, actor=staff)
    if target >= 3:
        service.start_works(project, actor=staff)
    if target >= 4:
        service.final_inspection(project, actor=staff, passed=True, notes="合格")
    if target >= 5:
        service.accept(project, actor=staff)
    db.session.commit()
    return project
