"""Staff pages of meals: approve pledges in their region; issue and revoke eligibility codes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.meals import eligibility, pledges, timing
from marketplace.meals.forms import ActionForm, IssueCodeForm, PledgeReviewForm
from marketplace.meals.models import PLEDGE_STATUS_LABELS, EligibilityCode, MealPledge
from marketplace.paging import paginate
from marketplace.settings import service as settings
from marketplace.unit_of_work import refusal

bp = Blueprint("staff_meals", __name__, url_prefix="/staff/meals")
codes_bp = Blueprint("meal_codes", __name__, url_prefix="/meal-codes")
codes_bp.app_context_processor(lambda: {"issues_meal_codes": eligibility.may_issue})  # the menu asks
STAFF = (Role.STAFF, Role.ADMIN)


@bp.route("/pledges")
@roles_required(*STAFF)
def pledge_list() -> str:
    """Meal pledges of outlets in the region, waiting ones first."""
    status = request.args.get("status", "pending")
    query = pledges.reviewable_query(current_user, status if status in PLEDGE_STATUS_LABELS else "")
    page = paginate(query, per_page=30)
    return render_template("meals/staff_pledges.html", page=page, status=status, labels=PLEDGE_STATUS_LABELS)


@bp.route("/pledges/<int:pledge_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def pledge_review(pledge_id: int) -> str | Response:
    """One pledge: the outlet, the meals, the dates; approve or reject."""
    pledge = db.get_or_404(MealPledge, pledge_id)
    if not pledges.can_review(current_user, pledge):
        abort(403)
    form = PledgeReviewForm()
    if form.validate_on_submit():
        with refusal() as refused:
            pledges.review_pledge(pledge, actor=current_user, approve=form.decision.data == "approve",
                                  reason=form.reason.data or "", now=timing.now())
        if not refused:
            flash(_("Decision saved: the pledge is now %(status)s.", status=pledge.status_label), "success")
            return redirect(url_for("staff_meals.pledge_list"))
    return render_template("meals/staff_pledge.html", pledge=pledge, form=form)


def _may_issue() -> None:
    if not eligibility.may_issue(current_user):
        abort(403)


@codes_bp.route("/", methods=["GET", "POST"])
@roles_required(Role.STAFF, Role.ADMIN, Role.ORG_MEMBER)
def code_list() -> str | Response:
    """Issued codes (never the codes themselves: only their hashes are kept) and a form for a new one."""
    _may_issue()
    form = IssueCodeForm(valid_days=settings.get("meals_code_days"))
    if form.validate_on_submit():
        now = timing.now()
        with refusal() as refused:
            row, code = eligibility.issue_code(actor=current_user, note=form.note.data or "",
                                               valid_days=form.valid_days.data, today=timing.local_date(now))
        if not refused:
            return render_template("meals/code_slip.html", row=row, code=code)
    page = paginate(eligibility.visible_query(current_user), per_page=30)
    return render_template("meals/codes.html", page=page, form=form, action_form=ActionForm(),
                           today=timing.local_date(timing.now()))


@codes_bp.route("/<int:code_id>/revoke", methods=["POST"])
@roles_required(Role.STAFF, Role.ADMIN, Role.ORG_MEMBER)
def code_revoke(code_id: int) -> Response:
    """Stop a code from booking more meals."""
    _may_issue()
    row = db.get_or_404(EligibilityCode, code_id)
    if not eligibility.can_manage(current_user, row):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusal() as refused:
        eligibility.revoke_code(row, actor=current_user, now=timing.now())
    if not refused:
        flash(_("Code revoked: it books no more meals."), "success")
    return redirect(url_for("meal_codes.code_list"))
