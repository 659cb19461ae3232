"""Every change to a renovation project: one function each, checked, audited, flush only.

`PROJECT_MOVES`, `PLEDGE_MOVES`, `VISIT_MOVES`, `REPAIR_MOVES` and `PHOTO_MOVES` are the tables of which state
allows which action; the `allowed_*` functions tell a page what a user may do from the same tables
and the same checks of who may act. Milestones and pledges move with the tables' conditional UPDATE
(state.py: one winner under races). Pledges and donations take room on a plan line with one
conditional UPDATE of that line's counter, so a line is never covered beyond its amount however many
pledges arrive at the same moment (and a CHECK constraint agrees).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock, money, state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.changes import stamp as changes
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households.models import Household, Referral, ReferralStatus
from marketplace.needs import privacy
from marketplace.needs import transitions as need_transitions
from marketplace.needs.models import Need, NeedKind, NeedStatus
from marketplace.notifications import service as notices
from marketplace.organisations.service import OrganisationError, ensure_may_act
from marketplace.projects.models import (
    LINE_KINDS,
    MILESTONES,
    PLEDGE_KINDS,
    Inspection,
    InspectionKind,
    InspectionResult,
    MaintenanceRequest,
    MaintenanceStatus,
    Milestone,
    PhotoPurpose,
    PhotoVisibility,
    PlanLine,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Project,
    ProjectMilestone,
    ProjectPhoto,
)
from marketplace.settings import service as settings
from marketplace.storage import Stored

# Default days from the survey to each milestone's due date (staff may set their own).
DEFAULT_DUE_DAYS = {Milestone.PLAN_APPROVED: 14, Milestone.COVERED: 45, Milestone.WORKS_STARTED: 60,
                    Milestone.INSPECTED: 120, Milestone.ACCEPTED: 130}
MAX_LINE_FEN = 100_000_000


class ProjectError(DomainError):
    """The change is not allowed now; the message says why, in the reader's language."""


class ProjectAction(StrEnum):
    """What can be done to a project; a page asks `allowed(project).approve` and so on."""

    EDIT_PLAN = "edit_plan"  # add or remove plan lines
    OVER_CAP = "over_cap"  # 一事一议, an admin's
    APPROVE = "approve"
    PLEDGE = "pledge"  # an approved organisation's
    COVER = "cover"  # reached by confirmed help, never by a person
    UNCOVER = "uncover"  # a refund takes the project back below its total
    START = "start"
    INSPECT = "inspect"  # the final inspection; passing moves the project on
    ACCEPT = "accept"
    MAINTENANCE = "maintenance"
    SET_DUE = "set_due"
    ADD_PHOTO = "add_photo"
    EDIT_TEXT = "edit_text"  # the public title and story, at any milestone (a leak found later is fixed)


class PledgeAction(StrEnum):
    """What can be done to a pledge."""

    DELIVER = "deliver"  # the pledging organisation's
    CONFIRM = "confirm"  # staff's
    WITHDRAW = "withdraw"  # either's


class VisitAction(StrEnum):
    """What can be done to a sampled spot check."""

    RECORD = "record"


class RepairAction(StrEnum):
    """What can be done to a maintenance request."""

    RESOLVE = "resolve"


class PhotoAction(StrEnum):
    """What staff of the region do with a photo: show it on the public page, or take it off again."""

    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


_M = Milestone
PROJECT_MOVES: state.Moves[ProjectAction, Milestone] = state.Moves(Project.milestone, {
    ProjectAction.EDIT_PLAN: ((_M.SURVEYED,), None),
    ProjectAction.OVER_CAP: ((_M.SURVEYED,), None),
    ProjectAction.APPROVE: ((_M.SURVEYED,), _M.PLAN_APPROVED),
    ProjectAction.PLEDGE: ((_M.PLAN_APPROVED,), None),
    ProjectAction.COVER: ((_M.PLAN_APPROVED,), _M.COVERED),
    ProjectAction.UNCOVER: ((_M.COVERED,), _M.PLAN_APPROVED),
    ProjectAction.START: ((_M.COVERED,), _M.WORKS_STARTED),
    ProjectAction.INSPECT: ((_M.WORKS_STARTED,), _M.INSPECTED),
    ProjectAction.ACCEPT: ((_M.INSPECTED,), _M.ACCEPTED),
    ProjectAction.MAINTENANCE: ((_M.ACCEPTED,), None),
    ProjectAction.SET_DUE: (MILESTONES[:-1], None),  # once accepted, every milestone is reached
    ProjectAction.ADD_PHOTO: (MILESTONES, None),
    ProjectAction.EDIT_TEXT: (MILESTONES, None),
})
PLEDGE_MOVES: state.Moves[PledgeAction, PledgeStatus] = state.Moves(Pledge.status, {
    PledgeAction.DELIVER: ((PledgeStatus.PLEDGED,), PledgeStatus.DELIVERED),
    PledgeAction.CONFIRM: ((PledgeStatus.DELIVERED,), PledgeStatus.CONFIRMED),
    PledgeAction.WITHDRAW: ((PledgeStatus.PLEDGED, PledgeStatus.DELIVERED), PledgeStatus.WITHDRAWN),
})
VISIT_MOVES: state.Moves[VisitAction, InspectionResult] = state.Moves(Inspection.result, {
    VisitAction.RECORD: ((InspectionResult.PENDING,), None),  # to passed or failed, as found
})
REPAIR_MOVES: state.Moves[RepairAction, MaintenanceStatus] = state.Moves(MaintenanceRequest.status, {
    RepairAction.RESOLVE: ((MaintenanceStatus.OPEN,), MaintenanceStatus.DONE),
})
PHOTO_MOVES: state.Moves[PhotoAction, PhotoVisibility] = state.Moves(ProjectPhoto.visibility, {
    PhotoAction.PUBLISH: ((PhotoVisibility.PRIVATE,), PhotoVisibility.PUBLIC),
    PhotoAction.UNPUBLISH: ((PhotoVisibility.PUBLIC,), PhotoVisibility.PRIVATE),
})
BY_NO_ONE = frozenset({ProjectAction.COVER, ProjectAction.UNCOVER})
BY_ADMIN = frozenset({ProjectAction.OVER_CAP})
BY_MEMBER = frozenset({ProjectAction.PLEDGE})



def _staff(actor: User, project: Project | Need) -> None:
    if not covers(actor, project):
        raise PermissionError("outside your region")


def _may_pledge(user: Any) -> bool:
    return user.role == Role.ORG_MEMBER and user.organisation is not None and user.organisation.is_approved


def _who(action: ProjectAction, user: Any, project: Project) -> bool:
    """Whether the user is one of those who take this action on this project (whatever its milestone)."""
    if action in BY_NO_ONE:
        return False
    if action in BY_ADMIN:
        return user.role == Role.ADMIN
    if action in BY_MEMBER:
        return _may_pledge(user)
    return covers(user, project)


def _not_ready(action: ProjectAction, project: Project) -> Any:
    """What about the project itself stops the action now: the refusal's message, or None."""
    if action == ProjectAction.APPROVE:
        if not project.lines:
            return _l("add the plan's lines first")
        if over_cap_wanted(project):
            if household_plans_fen(project) > project.total_fen:
                return _l("with the household's other renovation plans (%(total)s in all) this is above the standard "
                          "per household: an admin must approve it (一事一议) first",
                          total=money.show(household_plans_fen(project)))
            return _l("this plan is above the standard cap: an admin must approve it (一事一议) first")
    return None


def _refuse_unready(action: ProjectAction, project: Project) -> None:
    message = _not_ready(action, project)
    if message is not None:
        raise ProjectError(message)


@state.answers(Project)
def allowed(project: Project, user: Any) -> state.Allowed[ProjectAction]:
    """What `user` may do to `project` now; an over-cap decision only while one is still wanted."""
    offered = PROJECT_MOVES.offered(project.milestone)
    if not over_cap_wanted(project):
        offered -= {ProjectAction.OVER_CAP}
    actions = {action for action in offered if _who(action, user, project)}
    why = {action: message for action in actions if (message := _not_ready(action, project)) is not None}
    return state.Allowed(ProjectAction, actions, offered, why)


def _is_pledger(user: Any, item: Pledge) -> bool:
    return user.role == Role.ORG_MEMBER and user.organisation_id == item.organisation_id


def _who_pledge(action: PledgeAction, user: Any, item: Pledge) -> bool:
    if action == PledgeAction.DELIVER:
        return _is_pledger(user, item)
    if action == PledgeAction.CONFIRM:
        return covers(user, item.project)
    return _is_pledger(user, item) or covers(user, item.project)


@state.answers(Pledge)
def allowed_on_pledge(item: Pledge, user: Any) -> state.Allowed[PledgeAction]:
    """What `user` may do to a pledge now."""
    offered = PLEDGE_MOVES.offered(item.status)
    return state.Allowed(PledgeAction, {a for a in offered if _who_pledge(a, user, item)}, offered)


@state.answers(Inspection)
def allowed_on_visit(visit: Inspection, user: Any) -> state.Allowed[VisitAction]:
    """Staff of the region record a pending spot check."""
    offered = VISIT_MOVES.offered(visit.result)
    project = db.session.get(Project, visit.project_id)
    return state.Allowed(VisitAction, offered if covers(user, project) else (), offered)


@state.answers(MaintenanceRequest)
def allowed_on_repair(item: MaintenanceRequest, user: Any) -> state.Allowed[RepairAction]:
    """Staff of the region close an open maintenance request."""
    offered = REPAIR_MOVES.offered(item.status)
    project = db.session.get(Project, item.project_id)
    return state.Allowed(RepairAction, offered if covers(user, project) else (), offered)


@state.answers(ProjectPhoto)
def allowed_on_photo(photo: ProjectPhoto, user: Any) -> state.Allowed[PhotoAction]:
    """Staff of the region show a private photo on the public page, or take a public one off."""
    offered = PHOTO_MOVES.offered(photo.visibility)
    return state.Allowed(PhotoAction, offered if covers(user, photo.project) else (), offered)


def _authorise(action: ProjectAction, actor: Any, project: Project) -> None:
    if not _who(action, actor, project):
        raise PermissionError(f"{action} is not for this account")


def _may(action: ProjectAction, project: Project, message: Any) -> None:
    """Refuse with `message` unless the project's milestone allows the action."""
    if not PROJECT_MOVES.allows(action, project.milestone):
        raise ProjectError(message)


def _record(action: str, project: Project, actor: Any, **after: Any) -> None:
    audit.record(action, actor=actor, obj=project, region_code=project.region_code, after=after or None)


def renovation_need(referral: Referral, *, actor: User, title: str, story: str) -> Need:
    """Staff triage a renovation referral into its need (a draft: the project is its public face)."""
    _staff(actor, referral.household)
    if referral.need_kind != NeedKind.RENOVATION or referral.status == ReferralStatus.DECLINED:
        raise ProjectError(_l("only a renovation referral becomes a project"))
    if not title.strip() or not story.strip():
        raise ProjectError(_l("write a title and a pseudonymous story"))
    privacy.refuse_leaks(referral.household, title=title, story=story)
    household = referral.household
    need = Need(household=household, referral=referral, district_code=household.district_code,
                street_code=household.street_code, kind=NeedKind.RENOVATION, category="housing",
                title=title.strip()[:100], story=story.strip(), value_fen=referral.estimated_value_fen,
                claim_deadline=referral.needed_by, fulfil_by=referral.needed_by, status=NeedStatus.DRAFT,
                created_by_id=actor.id)
    before = referral.status
    referral.status, referral.triaged_by_id = ReferralStatus.TRIAGED, actor.id
    db.session.add(need)
    db.session.flush()
    changes.touch(referral.id)
    audit.record("need.create", actor=actor, obj=need, region_code=need.region_code,
                 after={"status": NeedStatus.DRAFT, "referral_id": referral.id, "kind": NeedKind.RENOVATION})
    if before != ReferralStatus.TRIAGED:
        audit.record("referral.triage", actor=actor, obj=referral, region_code=referral.district_code,
                     before={"status": before}, after={"status": ReferralStatus.TRIAGED})
    return need


def create(need: Need, *, actor: User, survey_notes: str, surveyed_on: date,
           due: dict[str, date] | None = None, photos: list[Stored] = ()) -> Project:
    """Turn a renovation need into its household's project (一户一策), with the survey (入户勘查)."""
    _staff(actor, need)
    if need.kind != NeedKind.RENOVATION:
        raise ProjectError(_l("only a renovation need becomes a project"))
    if need.status not in (NeedStatus.DRAFT, NeedStatus.PUBLISHED):
        raise ProjectError(_l("this need is no longer open"))
    if db.session.scalar(sa.select(Project.id).where(Project.need_id == need.id)):
        raise ProjectError(_l("this need already has a project"))
    if not survey_notes.strip():
        raise ProjectError(_l("write what the survey found"))
    privacy.refuse_leaks(need.household, title=need.title, story=need.story)  # a draft older than the guard
    project = Project(need_id=need.id, household_id=need.household_id, district_code=need.district_code,
                      street_code=need.street_code, title=need.title, story=need.story,
                      survey_notes=survey_notes.strip(), surveyed_on=surveyed_on, created_by_id=actor.id)
    db.session.add(project)
    db.session.flush()
    due = due or {}
    for position, name in enumerate(MILESTONES):
        due_on = due.get(name) or (surveyed_on + timedelta(days=DEFAULT_DUE_DAYS[name])
                                   if name in DEFAULT_DUE_DAYS else None)
        reached = clock.now() if name == Milestone.SURVEYED else None
        db.session.add(ProjectMilestone(project_id=project.id, milestone=name, position=position,
                                        due_on=due_on, reached_at=reached))
    for stored in photos:
        _photo(project, actor, PhotoPurpose.SURVEY, stored)
    db.session.flush()
    _record("project.create", project, actor, need_id=need.id, milestone=Milestone.SURVEYED)
    return project


def rewrite(project: Project, *, actor: User, title: str, story: str) -> None:
    """Staff rewrite the public title and story (its need's too); audited by which changed, not the texts."""
    _authorise(ProjectAction.EDIT_TEXT, actor, project)
    title, story = (title or "").strip()[:100], (story or "").strip()[:2000]
    if not title or not story:
        raise ProjectError(_l("write a title and a pseudonymous story"))
    privacy.refuse_leaks(project.household, title=title, story=story)
    changed = {"title_rewritten": project.title != title, "story_rewritten": project.story != story}
    project.title, project.story = title, story
    project.need.title, project.need.story = title, story
    db.session.flush()
    # The old text may be the leak being fixed: the audit says what changed, not what it said.
    _record("project.rewrite", project, actor, **changed)


def _photo(project: Project, actor: User, purpose: str, stored: Stored, inspection_id: int | None = None) -> None:
    db.session.add(ProjectPhoto(project_id=project.id, purpose=purpose, file_key=stored.key,
                                content_type=stored.content_type, size_bytes=stored.size,
                                inspection_id=inspection_id, created_by_id=actor.id))


def add_photo(project: Project, *, actor: User, purpose: str, stored: Stored) -> None:
    """Staff add a survey or maintenance photo."""
    _authorise(ProjectAction.ADD_PHOTO, actor, project)
    _photo(project, actor, purpose, stored)
    db.session.flush()
    _record("project.photo", project, actor, purpose=purpose)


def publish_photo(photo: ProjectPhoto, *, actor: User, caption: str) -> None:
    """Staff show a photo on the project's public page, with a pseudonymous caption (audited)."""
    project = photo.project
    _staff(actor, project)
    caption = caption.strip()
    if not caption:
        raise ProjectError(_l("write a caption for the public page"))
    privacy.refuse_leaks(project.household, caption=caption)
    PHOTO_MOVES.take(photo, PhotoAction.PUBLISH, {"caption": caption[:200]},
                     ProjectError(_l("this photo is already on the public page")))
    _record("project.photo_public", project, actor, photo_id=photo.id, caption=photo.caption)


def unpublish_photo(photo: ProjectPhoto, *, actor: User) -> None:
    """Staff take a photo off the public page: it is private again (audited)."""
    project = photo.project
    _staff(actor, project)
    PHOTO_MOVES.take(photo, PhotoAction.UNPUBLISH, {}, ProjectError(_l("this photo is not on the public page")))
    _record("project.photo_private", project, actor, photo_id=photo.id)


def set_due(project: Project, *, actor: User, milestone: str, due_on: date) -> None:
    """Staff change a milestone's due date (audited)."""
    _authorise(ProjectAction.SET_DUE, actor, project)
    row = project.milestone_row(milestone)
    if not PROJECT_MOVES.allows(ProjectAction.SET_DUE, project.milestone) or row is None or row.reached_at is not None:
        raise ProjectError(_l("this milestone is already reached"))
    before = row.due_on.isoformat() if row.due_on else None
    row.due_on = due_on
    db.session.flush()
    audit.record("project.due", actor=actor, obj=project, region_code=project.region_code,
                 before={milestone: before}, after={milestone: due_on.isoformat()})


def add_line(project: Project, *, actor: User, kind: str, description: str, quantity: str, amount_fen: int) -> PlanLine:
    """Add a line to the plan while it is not yet approved."""
    _authorise(ProjectAction.EDIT_PLAN, actor, project)
    _may(ProjectAction.EDIT_PLAN, project, _l("the plan is approved: it can no longer change"))
    if kind not in LINE_KINDS or not description.strip():
        raise ProjectError(_l("choose a kind and describe the line"))
    if not 0 < amount_fen <= MAX_LINE_FEN:
        raise ProjectError(_l("enter an amount above zero"))
    privacy.refuse_leaks(project.household, description=description, quantity=quantity)  # on the public page
    line = PlanLine(project_id=project.id, kind=kind, description=description.strip()[:200],
                    quantity=quantity.strip()[:40], amount_fen=amount_fen)
    db.session.add(line)
    db.session.flush()
    db.session.refresh(project)
    _record("project.line_add", project, actor, line_id=line.id, amount_fen=amount_fen, total_fen=project.total_fen)
    return line


def remove_line(project: Project, line: PlanLine, *, actor: User) -> None:
    """Remove a line while the plan is not yet approved."""
    _authorise(ProjectAction.EDIT_PLAN, actor, project)
    if not PROJECT_MOVES.allows(ProjectAction.EDIT_PLAN, project.milestone) or line.project_id != project.id:
        raise ProjectError(_l("the plan is approved: it can no longer change"))
    db.session.delete(line)
    db.session.flush()
    db.session.refresh(project)
    _record("project.line_remove", project, actor, line_id=line.id, total_fen=project.total_fen)


def window_start(today: date, years: int) -> date:
    """The first day of the standard's window: the same date `years` ago (28 February for a 29th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def household_plans_fen(project: Project) -> int:
    """What the standard counts: this plan's total and the household's other approved plans (past
    "surveyed") surveyed within the window (the renovation_window_years setting)."""
    since = window_start(clock.today(), settings.get("renovation_window_years"))
    others = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PlanLine.amount_fen), 0))
        .join(Project, PlanLine.project_id == Project.id)
        .where(Project.household_id == project.household_id, Project.id != project.id,
               Project.milestone != Milestone.SURVEYED, Project.surveyed_on >= since)
    )
    return project.total_fen + int(others or 0)


def over_cap(project: Project) -> bool:
    """Whether the household's renovation plans in the window, this one included, are above the standard."""
    return household_plans_fen(project) > settings.get("renovation_cap_fen")


def over_cap_wanted(project: Project) -> bool:
    """Whether the plans are above the standard and not yet approved (一事一议) at this household total."""
    return over_cap(project) and (project.over_cap_approved_fen or 0) < household_plans_fen(project)


def grant_over_cap(project: Project, *, actor: User, reason: str) -> None:
    """一事一议: an admin approves the current total above the cap, with a written reason."""
    _authorise(ProjectAction.OVER_CAP, actor, project)
    if not reason.strip():
        raise ProjectError(_l("write the reason for this decision"))
    _may(ProjectAction.OVER_CAP, project, _l("the plan is approved: it can no longer change"))
    if not over_cap(project):
        raise ProjectError(_l("this plan is within the standard cap"))
    if not over_cap_wanted(project):
        raise ProjectError(_l("this total is already approved"))
    project.over_cap_approved_fen = household_plans_fen(project)
    project.over_cap_reason = reason.strip()[:2000]
    project.over_cap_approved_by_id = actor.id
    db.session.flush()
    audit.record("project.over_cap", actor=actor, obj=project, region_code=project.region_code,
                 after={"total_fen": project.total_fen, "household_fen": project.over_cap_approved_fen,
                        "cap_fen": settings.get("renovation_cap_fen"), "reason": project.over_cap_reason})


def _advance(project: Project, action: ProjectAction, message: Any) -> None:
    """Take the action's step to the next milestone only if still at the one before (one winner), and stamp it."""
    PROJECT_MOVES.take(project, action, {"updated_at": clock.now()}, ProjectError(message))
    db.session.execute(
        sa.update(ProjectMilestone)
        .where(ProjectMilestone.project_id == project.id,
               ProjectMilestone.milestone == PROJECT_MOVES.table[action].target)
        .values(reached_at=clock.now()).execution_options(synchronize_session=False)
    )
    for row in project.milestones:
        db.session.refresh(row)


def approve_plan(project: Project, *, actor: User) -> None:
    """Surveyed → plan approved: a plan with lines, within the cap or approved 一事一议 at this total."""
    _authorise(ProjectAction.APPROVE, actor, project)
    # The household's row is locked first, so two of its plans approved at the same moment are counted
    # one after the other against the standard.
    db.session.execute(sa.select(Household.id).where(Household.id == project.household_id).with_for_update())
    _refuse_unready(ProjectAction.APPROVE, project)
    _advance(project, ProjectAction.APPROVE, _l("only a surveyed project's plan is approved"))
    _record("project.plan_approved", project, actor, total_fen=project.total_fen)


def check_covered(project: Project, actor: Any = None) -> bool:
    """Plan approved → fully covered, once confirmed pledges and donations reach the total."""
    db.session.refresh(project)
    for line in project.lines:
        db.session.refresh(line)
    if not PROJECT_MOVES.allows(ProjectAction.COVER, project.milestone) or project.confirmed_fen < project.total_fen:
        return False
    try:
        _advance(project, ProjectAction.COVER, "")
    except ProjectError:
        return False
    audit.record("project.covered", actor=actor, actor_label=None if actor else "system", obj=project,
                 region_code=project.region_code, after={"confirmed_fen": project.confirmed_fen})
    return True


def uncover(project: Project) -> bool:
    """Covered → plan approved again, when a refund takes the confirmed help below the total."""
    return PROJECT_MOVES.take(project, ProjectAction.UNCOVER, {"updated_at": clock.now()})


def start_works(project: Project, *, actor: User) -> None:
    """Fully covered → works started."""
    _authorise(ProjectAction.START, actor, project)
    _advance(project, ProjectAction.START, _l("works start once the plan is fully covered"))
    _record("project.works_started", project, actor)


def final_inspection(project: Project, *, actor: User, passed: bool, notes: str, photos: list[Stored] = ()) -> None:
    """Staff record the final inspection; passing moves works started → inspected."""
    _authorise(ProjectAction.INSPECT, actor, project)
    _may(ProjectAction.INSPECT, project, _l("the final inspection follows the works"))
    if not notes.strip():
        raise ProjectError(_l("write what the inspection found"))
    visit = Inspection(project_id=project.id, kind=InspectionKind.FINAL, result=_result(passed),
                       notes=notes.strip(), inspected_by_id=actor.id, inspected_at=clock.now())
    db.session.add(visit)
    db.session.flush()
    for stored in photos:
        _photo(project, actor, PhotoPurpose.INSPECTION, stored, visit.id)
    if passed:
        _advance(project, ProjectAction.INSPECT, _l("the final inspection follows the works"))
    _record("project.inspection", project, actor, passed=passed)


def accept(project: Project, *, actor: User) -> None:
    """Inspected → accepted (竣工验收): the household's renovation is done."""
    _authorise(ProjectAction.ACCEPT, actor, project)
    _advance(project, ProjectAction.ACCEPT, _l("only an inspected project is accepted"))
    _record("project.accepted", project, actor)
    if project.need.status != NeedStatus.CLOSED:  # a need closed before this rule stays as it is
        need_transitions.close_renovation(project.need, actor=actor)


def _result(passed: bool) -> InspectionResult:
    return InspectionResult.PASSED if passed else InspectionResult.FAILED


def record_spot_check(visit: Inspection, *, actor: User, passed: bool, notes: str, photos: list[Stored] = ()) -> None:
    """Staff record the result of a sampled spot check, with photos."""
    project = db.session.get(Project, visit.project_id)
    _staff(actor, project)
    if not notes.strip():
        raise ProjectError(_l("write what the inspection found"))
    VISIT_MOVES.take(visit, VisitAction.RECORD,
                     {"result": _result(passed), "notes": notes.strip(), "inspected_by_id": actor.id,
                      "inspected_at": clock.now()},
                     ProjectError(_l("this visit is already recorded")))
    for stored in photos:
        _photo(project, actor, PhotoPurpose.INSPECTION, stored, visit.id)
    db.session.flush()
    _record("project.spot_check", project, actor, inspection_id=visit.id, passed=passed)


def request_maintenance(project: Project, *, actor: User, description: str) -> MaintenanceRequest:
    """A small follow-up repair after acceptance (小规模维护)."""
    _authorise(ProjectAction.MAINTENANCE, actor, project)
    _may(ProjectAction.MAINTENANCE, project, _l("maintenance requests follow acceptance"))
    if not description.strip():
        raise ProjectError(_l("describe the repair"))
    item = MaintenanceRequest(project_id=project.id, description=description.strip()[:2000], created_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    _record("project.maintenance", project, actor, request_id=item.id)
    return item


def resolve_maintenance(item: MaintenanceRequest, *, actor: User, resolution: str) -> None:
    """Close a maintenance request with what was done."""
    project = db.session.get(Project, item.project_id)
    _staff(actor, project)
    REPAIR_MOVES.take(item, RepairAction.RESOLVE, {"resolution": resolution.strip()[:2000], "resolved_at": clock.now()},
                      ProjectError(_l("this request is already done")))
    _record("project.maintenance_done", project, actor, request_id=item.id)


# --- room on plan lines: pledges and donations --------------------------------------------------

def reserve(line_id: int, amount_fen: int) -> bool:
    """Take room on a line with one conditional UPDATE: false when the line cannot take it all."""
    result = db.session.execute(
        sa.update(PlanLine)
        .where(PlanLine.id == line_id, PlanLine.reserved_fen + amount_fen <= PlanLine.amount_fen)
        .values(reserved_fen=PlanLine.reserved_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def adjust(line_id: int, *, reserved: int = 0, confirmed: int = 0) -> None:
    """Change a line's counters by the given amounts (releases and confirmations)."""
    db.session.execute(
        sa.update(PlanLine).where(PlanLine.id == line_id)
        .values(reserved_fen=PlanLine.reserved_fen + reserved, confirmed_fen=PlanLine.confirmed_fen + confirmed)
        .execution_options(synchronize_session=False)
    )


def pledge(project: Project, line: PlanLine, *, actor: User, kind: str, value_fen: int, items: str = "",
           quantity: str = "", labour_days: int | None = None) -> Pledge:
    """An approved organisation pledges money, materials or labour against a line of an approved plan."""
    org = actor.organisation if actor.role == Role.ORG_MEMBER else None
    if org is None:
        raise PermissionError("only organisation members pledge")
    try:
        ensure_may_act(org)
    except OrganisationError as exc:
        raise ProjectError(str(exc)) from exc
    if not PROJECT_MOVES.allows(ProjectAction.PLEDGE, project.milestone) or line.project_id != project.id:
        raise ProjectError(_l("pledges are taken while the approved plan still needs help"))
    if kind not in PLEDGE_KINDS or (kind != PledgeKind.MONEY and line.kind != kind):
        raise ProjectError(_l("this kind of help does not fit this line"))
    if value_fen <= 0:
        raise ProjectError(_l("enter a value above zero"))
    if kind == PledgeKind.LABOUR and not labour_days:
        raise ProjectError(_l("say how many days of labour"))
    if kind == PledgeKind.MATERIALS and not items.strip():
        raise ProjectError(_l("say which materials"))
    if not reserve(line.id, value_fen):
        raise ProjectError(_l("Sorry, this line has only %(room)s left.", room=money.show(_room(line.id))))
    item = Pledge(project_id=project.id, line_id=line.id, organisation_id=org.id, kind=kind, value_fen=value_fen,
                  items=items.strip()[:200], quantity=quantity.strip()[:40], labour_days=labour_days,
                  created_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    _record("project.pledge", project, actor, pledge_id=item.id, line_id=line.id, kind=kind, value_fen=value_fen)
    return item


def _room(line_id: int) -> int:
    return db.session.scalar(sa.select(PlanLine.amount_fen - PlanLine.reserved_fen).where(PlanLine.id == line_id)) or 0


def _authorise_pledge(action: PledgeAction, actor: Any, item: Pledge) -> None:
    if not _who_pledge(action, actor, item):
        raise PermissionError(f"{action} is not for this account")


def _move_pledge(item: Pledge, action: PledgeAction, values: dict[str, Any], message: Any) -> None:
    """Take the pledge's move only if its state still allows it (one winner)."""
    PLEDGE_MOVES.take(item, action, values, ProjectError(message))


def deliver_pledge(item: Pledge, *, actor: User) -> None:
    """The pledging organisation says it delivered; it counts once staff confirm."""
    _authorise_pledge(PledgeAction.DELIVER, actor, item)
    _move_pledge(item, PledgeAction.DELIVER, {"delivered_at": clock.now()},
                 _l("only a pledged contribution can be marked delivered"))
    _record("project.pledge_delivered", item.project, actor, pledge_id=item.id)


def confirm_pledge(item: Pledge, *, actor: User) -> None:
    """Staff confirm a delivered pledge: now it counts on the line and on the leaderboard."""
    _authorise_pledge(PledgeAction.CONFIRM, actor, item)
    _move_pledge(item, PledgeAction.CONFIRM, {"confirmed_at": clock.now(), "confirmed_by_id": actor.id},
                 _l("only a delivered pledge can be confirmed"))
    adjust(item.line_id, confirmed=item.value_fen)
    _record("project.pledge_confirmed", item.project, actor, pledge_id=item.id, value_fen=item.value_fen)
    notices.notify_organisation(item.organisation_id, "project_pledge_confirmed", "projects", item.project_id,
                                {"title": item.project.title})
    check_covered(item.project, actor)


def withdraw_pledge(item: Pledge, *, actor: User, reason: str = "") -> None:
    """The organisation (or staff) withdraws an unconfirmed pledge; its room goes back to the line."""
    _authorise_pledge(PledgeAction.WITHDRAW, actor, item)
    _move_pledge(item, PledgeAction.WITHDRAW, {}, _l("a confirmed pledge cannot be withdrawn"))
    adjust(item.line_id, reserved=-item.value_fen)
    _record("project.pledge_withdrawn", item.project, actor, pledge_id=item.id, reason=reason.strip())
