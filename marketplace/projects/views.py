"""Public project pages (progress and coverage) and organisations' pledges."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from marketplace import money, storage
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import covers
from marketplace.extensions import db
from marketplace.paging import cursor_arg, paginate
from marketplace.projects import points as _points  # noqa: F401  (registers the leaderboard source)
from marketplace.projects import service, visibility
from marketplace.projects.forms import ActionForm, PledgeForm
from marketplace.projects.models import MILESTONE_LABELS, Milestone, PlanLine, Pledge, Project, ProjectPhoto
from marketplace.unit_of_work import refusal

bp = Blueprint("projects", __name__)


def fen(amount: Decimal | None) -> int:
    """Yuan from a form to integer fen."""
    return money.fen_of(amount)


@bp.route("/projects")
@public
def project_list() -> str:
    """Every project with its milestone and progress; those still needing help first."""
    milestone = request.args.get("milestone", "")
    query = sa.select(Project)
    if milestone in MILESTONE_LABELS:
        query = query.where(Project.milestone == milestone)
    needing = sa.case((Project.milestone == Milestone.PLAN_APPROVED, 0), else_=1)
    page = paginate(query.order_by(needing, Project.id.desc()), per_page=20, cursor=cursor_arg())
    return render_template("projects/list.html", page=page, milestone=milestone, labels=MILESTONE_LABELS)


def _pledge_form(project: Project) -> PledgeForm:
    form = PledgeForm()
    form.line_id.choices = [SelectChoice(line.id, f"{line.description} ({money.show(line.room_fen)})")
                            for line in project.lines if line.room_fen > 0]
    return form


@bp.route("/projects/<int:project_id>")
@public
def project_detail(project_id: int) -> str:
    """A project's plan, coverage by line, progress bar, milestones and pledges (no personal data)."""
    project = db.get_or_404(Project, project_id)
    mine = []
    if current_user.is_authenticated and current_user.role == Role.ORG_MEMBER:
        mine = [p for p in project.pledges if p.organisation_id == current_user.organisation_id]
    return render_template("projects/detail.html", project=project, pledge_form=_pledge_form(project),
                           action_form=ActionForm(), mine=mine, public_photos=visibility.public_photos(project),
                           private_photos=visibility.private_photos(project, current_user))


@bp.route("/projects/<int:project_id>/pledge", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def pledge(project_id: int) -> Response:
    """Pledge money, materials or labour against one line; never more than the line still needs."""
    project = db.get_or_404(Project, project_id)
    form = _pledge_form(project)
    back = redirect(url_for("projects.project_detail", project_id=project.id))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return back
    line = db.session.get(PlanLine, form.line_id.data)
    if line is None or line.project_id != project.id:
        flash(_("Choose a line of this plan."), "error")
        return back
    with refusal() as refused:
        service.pledge(project, line, actor=current_user, kind=form.kind.data, value_fen=fen(form.value.data),
                       items=form.items.data or "", quantity=form.quantity.data or "",
                       labour_days=form.labour_days.data)
    if refused:
        return back
    flash(_("Thank you: your pledge is recorded. It counts once delivered and confirmed by staff."), "success")
    return back


def _own_pledge(pledge_id: int) -> Pledge:
    item = db.get_or_404(Pledge, pledge_id)
    if current_user.role == Role.ORG_MEMBER and item.organisation_id != current_user.organisation_id:
        abort(403)
    if current_user.role in (Role.STAFF, Role.ADMIN) and not covers(current_user, item.project):
        abort(403)
    return item


def _pledge_action(pledge_id: int, operation, done: str) -> Response:  # type: ignore[no-untyped-def]
    item = _own_pledge(pledge_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusal() as refused:
        operation(item, actor=current_user)
    if not refused:
        flash(done, "success")
    if current_user.role in (Role.STAFF, Role.ADMIN):
        return redirect(url_for("staff_projects.detail", project_id=item.project_id))
    return redirect(url_for("projects.project_detail", project_id=item.project_id))


@bp.route("/pledges/<int:pledge_id>/deliver", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def pledge_deliver(pledge_id: int) -> Response:
    """The organisation marks its pledge delivered."""
    return _pledge_action(pledge_id, service.deliver_pledge, _("Marked delivered: staff will confirm it."))


@bp.route("/pledges/<int:pledge_id>/withdraw", methods=["POST"])
@roles_required(Role.ORG_MEMBER, Role.STAFF, Role.ADMIN)
def pledge_withdraw(pledge_id: int) -> Response:
    """Withdraw an unconfirmed pledge; the line can take others again."""
    return _pledge_action(pledge_id, service.withdraw_pledge, _("The pledge is withdrawn."))


@bp.route("/projects/photos/<int:photo_id>")
@public
def photo(photo_id: int) -> Response:
    """A project photo: public ones for anyone; private ones for the region's staff and approved pledgers."""
    item = db.get_or_404(ProjectPhoto, photo_id)
    if not visibility.may_see_photo(current_user, item):
        abort(404)  # the same answer as for a photo that does not exist
    try:
        data = storage.read(item.file_key)
    except FileNotFoundError:
        abort(404)
    # Private photos are never kept by a shared cache; a public one may be, briefly (it can be taken off).
    cache = "public, max-age=300" if item.is_public else "private, no-store"
    return Response(data, mimetype=item.content_type,
                    headers={"Cache-Control": cache, "Content-Disposition": "inline"})
