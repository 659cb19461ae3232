"""Staff pages of projects: start one from a renovation need, plan, approve, milestones, visits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from marketplace import listing, money, storage, taxonomy
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, region_filter
from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.households.models import Referral, ReferralStatus
from marketplace.listing import Column, sorted_by
from marketplace.needs.browse import search_match
from marketplace.paging import cursor_arg, paginate
from marketplace.projects import service
from marketplace.projects.forms import (
    ActionForm,
    CaptionForm,
    DueForm,
    InspectionForm,
    LineForm,
    ReasonForm,
    SurveyForm,
    TextForm,
)
from marketplace.projects.models import (
    MILESTONE_LABELS,
    Inspection,
    MaintenanceRequest,
    PlanLine,
    Pledge,
    Project,
    ProjectPhoto,
)
from marketplace.projects.views import fen
from marketplace.regions.service import streets_within
from marketplace.search import text
from marketplace.settings import service as settings
from marketplace.unit_of_work import refusal

bp = Blueprint("staff_projects", __name__, url_prefix="/staff/projects")
STAFF = (Role.STAFF, Role.ADMIN)


def _project_or_404(project_id: int) -> Project:
    project = guard(db.get_or_404(Project, project_id))
    return project


def _photos(field: Any) -> list[storage.Stored]:
    """Store each uploaded photo (cleaned of EXIF/GPS); a bad file raises PhotoError."""
    return [storage.store_photo(f.read()) for f in (field.data or []) if f and f.filename]


def _line_sum(column: Any) -> Any:
    """A project's plan lines summed in SQL, so the list sorts by it without loading the lines."""
    return (sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(PlanLine.project_id == Project.id)
            .correlate(Project).scalar_subquery())


PROJECT_COLUMNS = (
    Column("project", _l("Project"), Project.id, lambda p: p.title),
    Column("where", _l("Where"), Project.street_code, lambda p: p.place),
    Column("milestone", _l("Milestone"), Project.milestone, lambda p: p.milestone_label),
    Column("light", _l("Light"), Project.light, lambda p: taxonomy.LIGHT_LABELS.get(p.light or "", "")),
    Column("total", _l("Plan total"), _line_sum(PlanLine.amount_fen), lambda p: money.show(p.total_fen)),
    Column("covered", _l("Covered"), _line_sum(PlanLine.confirmed_fen), lambda p: money.show(p.confirmed_fen)),
    Column("changed", _l("Last change"), Project.updated_at, lambda p: p.updated_at),
)


def _projects() -> tuple[sa.Select, dict[str, Any]]:
    """The region's projects the filters choose (milestone, street, light, words of the title or
    story), in the order a column asks for; by default the latest change first."""
    milestone = request.args.get("milestone", "")
    street = request.args.get("street", "")[:12]
    light = request.args.get("light", "")
    q = request.args.get("q", "").strip()[:60]
    query = (sa.select(Project).where(region_filter(current_user, Project.district_code, Project.street_code))
             .options(selectinload(Project.lines)))  # the totals each row shows, in one more SELECT
    if milestone in MILESTONE_LABELS:
        query = query.where(Project.milestone == milestone)
    streets = streets_within(current_user.region_code)
    if street in dict(streets):
        query = query.where(Project.street_code == street)
    if light in taxonomy.LIGHTS:
        query = query.where(Project.light == light)
    searched = text.parse(q)
    if searched:  # a project is found by the words of its public need (the same index as the needs lists)
        query = query.where(Project.need_id.in_(search_match(searched).keys))
    query, sorting = sorted_by(query, PROJECT_COLUMNS, "-changed", Project.id)
    return query, {"milestone": milestone, "street": street, "light": light, "q": q, "query": searched,
                   "sorting": sorting, "streets": streets}


@bp.route("/")
@roles_required(*STAFF)
def project_list() -> str:
    """Projects of the region, with their light, and renovation needs waiting for a project."""
    query, filters = _projects()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    waiting = db.session.scalars(
        sa.select(Referral).where(Referral.need_kind == "renovation", Referral.status == ReferralStatus.RECEIVED,
                                  region_filter(current_user, Referral.district_code, None))
        .order_by(Referral.id).limit(50))
    return render_template("projects/staff_list.html", page=page, waiting=list(waiting), labels=MILESTONE_LABELS,
                           columns=PROJECT_COLUMNS, **filters)


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def project_export(fmt: str) -> Response:
    """The filtered projects as CSV or XLSX, in the page's order (public fields only)."""
    query, _filters = _projects()
    return listing.export(query, PROJECT_COLUMNS, fmt, "projects",
                          back=url_for("staff_projects.project_list", **request.args))


@bp.route("/new/<int:referral_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def new(referral_id: int) -> str | Response:
    """Triage a renovation referral: its public need, the home survey, and the household's project."""
    referral = guard(db.get_or_404(Referral, referral_id))
    form = SurveyForm()
    if form.validate_on_submit():
        with refusal(form=form) as refused:  # a leak is shown beside the title or the story
            need = service.renovation_need(referral, actor=current_user, title=form.title.data, story=form.story.data)
            project = service.create(need, actor=current_user, survey_notes=form.survey_notes.data,
                                     surveyed_on=form.surveyed_on.data, photos=_photos(form.photos))
        if not refused:
            flash(_("The project is started. Now write its plan."), "success")
            return redirect(url_for("staff_projects.detail", project_id=project.id))
    return render_template("projects/new.html", referral=referral, form=form)


@bp.route("/<int:project_id>")
@roles_required(*STAFF)
def detail(project_id: int) -> str:
    """Everything about a project and the actions its milestone allows."""
    return _detail_page(_project_or_404(project_id))


def _detail_page(project: Project, text_form: TextForm | None = None) -> str:
    return render_template(
        "projects/staff_detail.html", project=project, line_form=LineForm(), reason_form=ReasonForm(),
        inspection_form=InspectionForm(), due_form=DueForm(), action_form=ActionForm(), caption_form=CaptionForm(),
        text_form=text_form or TextForm(formdata=None, title=project.title, story=project.story),
        cap_fen=settings.get("renovation_cap_fen"), over_cap=service.over_cap(project),
        household_fen=service.household_plans_fen(project), window_years=settings.get("renovation_window_years"),
        history=audit.history("projects", project.id),
    )


@bp.route("/<int:project_id>/text", methods=["POST"])
@roles_required(*STAFF)
def rewrite(project_id: int) -> Response | tuple[str, int]:
    """Rewrite the public title and story; a leak is shown beside the field it is in."""
    project = _project_or_404(project_id)
    form = TextForm()
    if form.validate_on_submit():
        with refusal(form=form) as refused:
            service.rewrite(project, actor=current_user, title=form.title.data, story=form.story.data)
        if not refused:
            flash(_("The public text is rewritten."), "success")
            return redirect(url_for("staff_projects.detail", project_id=project.id))
        db.session.refresh(project)
    return _detail_page(project, form), 400


def _line(project: Project) -> Any:
    form = LineForm()
    if not form.validate_on_submit():
        raise service.ProjectError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return service.add_line(project, actor=current_user, kind=form.kind.data, description=form.description.data,
                            quantity=form.quantity.data or "", amount_fen=fen(form.amount.data))


def _reason(project: Project, op: Callable[..., Any], **kw: Any) -> Any:
    form = ReasonForm()
    if not form.validate_on_submit():
        raise service.ProjectError(_("Write the reason."))
    return op(project, actor=current_user, **{kw.get("field", "reason"): form.reason.data})


def _inspection(project: Project) -> Any:
    form = InspectionForm()
    if not form.validate_on_submit():
        raise service.ProjectError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return service.final_inspection(project, actor=current_user, passed=form.passed.data, notes=form.notes.data,
                                    photos=_photos(form.photos))


def _due(project: Project) -> Any:
    form = DueForm()
    if not form.validate_on_submit():
        raise service.ProjectError(_("Choose a date."))
    return service.set_due(project, actor=current_user, milestone=form.milestone.data, due_on=form.due_on.data)


def _photo(project: Project) -> Any:
    form = InspectionForm()
    for stored in _photos(form.photos):
        service.add_photo(project, actor=current_user, purpose="survey" if project.milestone == "surveyed"
                          else "maintenance", stored=stored)


def _simple(op: Callable[..., Any]) -> Callable[[Project], Any]:
    def run(project: Project) -> Any:
        if not ActionForm().validate_on_submit():
            abort(400)
        return op(project, actor=current_user)
    return run


ACTIONS: dict[str, tuple[Callable[[Project], Any], Any]] = {
    "line": (_line, _l("The line is added.")),
    "approve": (_simple(service.approve_plan), _l("The plan is approved: organisations and donors can now help.")),
    "over_cap": (lambda p: _reason(p, service.grant_over_cap), _l("一事一议 recorded: the plan may now be approved.")),
    "start": (_simple(service.start_works), _l("Works started.")),
    "inspect": (_inspection, _l("The inspection is recorded.")),
    "accept": (_simple(service.accept), _l("The project is accepted.")),
    "maintenance": (lambda p: _reason(p, service.request_maintenance, field="description"),
                    _l("The maintenance request is recorded.")),
    "due": (_due, _l("The due date is changed.")),
    "photo": (_photo, _l("The photos are added.")),
}


@bp.route("/<int:project_id>/<action>", methods=["POST"])
@roles_required(*STAFF)
def act(project_id: int, action: str) -> Response:
    """Run one project operation from a posted form; errors go back to the page, nothing half-done."""
    project = _project_or_404(project_id)
    if action not in ACTIONS:
        abort(404)
    if action == "over_cap" and current_user.role != Role.ADMIN:
        abort(403)
    operation, done = ACTIONS[action]
    with refusal() as refused:
        operation(project)
    if not refused:
        flash(str(done), "success")
    return redirect(url_for("staff_projects.detail", project_id=project_id))


@bp.route("/<int:project_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*STAFF)
def remove_line(project_id: int, line_id: int) -> Response:
    """Remove a line from a plan that is not yet approved."""
    project = _project_or_404(project_id)
    line = db.get_or_404(PlanLine, line_id)
    with refusal():
        service.remove_line(project, line, actor=current_user)
    return redirect(url_for("staff_projects.detail", project_id=project_id))


@bp.route("/pledges/<int:pledge_id>/confirm", methods=["POST"])
@roles_required(*STAFF)
def confirm_pledge(pledge_id: int) -> Response:
    """Staff confirm a delivered pledge: now it counts."""
    item = db.get_or_404(Pledge, pledge_id)
    _project_or_404(item.project_id)
    with refusal() as refused:
        service.confirm_pledge(item, actor=current_user)
    if not refused:
        flash(_("The pledge is confirmed."), "success")
    return redirect(url_for("staff_projects.detail", project_id=item.project_id))


def _photo_or_404(photo_id: int) -> ProjectPhoto:
    photo = db.get_or_404(ProjectPhoto, photo_id)
    _project_or_404(photo.project_id)
    return photo


@bp.route("/photos/<int:photo_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def photo_publish(photo_id: int) -> Response:
    """Show a photo on the project's public page, with its caption."""
    photo = _photo_or_404(photo_id)
    form = CaptionForm()
    with refusal() as refused:
        if not form.validate_on_submit():
            raise service.ProjectError(_("Write a caption for the public page."))
        service.publish_photo(photo, actor=current_user, caption=form.caption.data)
    if not refused:
        flash(_("The photo is on the public page."), "success")
    return redirect(url_for("staff_projects.detail", project_id=photo.project_id))


@bp.route("/photos/<int:photo_id>/unpublish", methods=["POST"])
@roles_required(*STAFF)
def photo_unpublish(photo_id: int) -> Response:
    """Take a photo off the public page: it is private again."""
    photo = _photo_or_404(photo_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusal() as refused:
        service.unpublish_photo(photo, actor=current_user)
    if not refused:
        flash(_("The photo is private again."), "success")
    return redirect(url_for("staff_projects.detail", project_id=photo.project_id))


@bp.route("/visits/<int:inspection_id>", methods=["POST"])
@roles_required(*STAFF)
def spot_check(inspection_id: int) -> Response:
    """Record a sampled spot check's result, with photos."""
    visit = db.get_or_404(Inspection, inspection_id)
    _project_or_404(visit.project_id)
    form = InspectionForm()
    with refusal() as refused:
        if not form.validate_on_submit():
            raise service.ProjectError(_("Write what the visit found."))
        service.record_spot_check(visit, actor=current_user, passed=form.passed.data, notes=form.notes.data,
                                  photos=_photos(form.photos))
    if not refused:
        flash(_("The visit is recorded."), "success")
    return redirect(url_for("staff_projects.detail", project_id=visit.project_id))


@bp.route("/maintenance/<int:request_id>/done", methods=["POST"])
@roles_required(*STAFF)
def maintenance_done(request_id: int) -> Response:
    """Close a maintenance request with what was done."""
    item = db.get_or_404(MaintenanceRequest, request_id)
    _project_or_404(item.project_id)
    form = ReasonForm()
    with refusal():
        if not form.validate_on_submit():
            raise service.ProjectError(_("Write what was done."))
        service.resolve_maintenance(item, actor=current_user, resolution=form.reason.data)
    return redirect(url_for("staff_projects.detail", project_id=item.project_id))
