"""Staff pages of meals: approve pledges in their region; issue and revoke eligibility codes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from marketplace import listing
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.listing import Column, sorted_by
from marketplace.meals import eligibility, pledges, timing
from marketplace.meals.forms import ActionForm, IssueCodeForm, PledgeReviewForm
from marketplace.meals.models import PLEDGE_STATUS_LABELS, EligibilityCode, MealPledge, Outlet
from marketplace.organisations.models import Organisation
from marketplace.paging import cursor_arg, paginate
from marketplace.regions.service import streets_within
from marketplace.settings import service as settings
from marketplace.unit_of_work import refusal

bp = Blueprint("staff_meals", __name__, url_prefix="/staff/meals")
codes_bp = Blueprint("meal_codes", __name__, url_prefix="/meal-codes")
codes_bp.app_context_processor(lambda: {"issues_meal_codes": eligibility.may_issue})  # the menu asks
STAFF = (Role.STAFF, Role.ADMIN)


PLEDGE_COLUMNS = (
    Column("company", _l("Company"), Organisation.name, lambda p: p.organisation.name),
    Column("outlet", _l("Outlet"), Outlet.name, lambda p: p.outlet.name),
    Column("street", _l("Street"), Outlet.street_code, lambda p: p.outlet.street.full_name if p.outlet.street else ""),
    Column("meals", _l("Meals a day"), MealPledge.meals_per_day, lambda p: p.meals_per_day),
    Column("starts", _l("From"), MealPledge.starts_on, lambda p: p.starts_on),
    Column("ends", _l("Until"), MealPledge.ends_on, lambda p: p.ends_on),
    Column("weekdays", _l("Days"), None, lambda p: p.weekday_text),
    Column("status", _l("Status"), MealPledge.status, lambda p: p.status_label),
    Column("pledged", _l("Pledged on"), MealPledge.created_at, lambda p: p.created_at),
)


def _pledges() -> tuple[sa.Select, dict[str, Any]]:
    """The region's pledges the filters choose (status, street, a company or outlet name); by
    default the oldest first, so what has waited longest for a decision is on top."""
    status = request.args.get("status", "pending")
    street = request.args.get("street", "")[:12]
    q = request.args.get("q", "").strip()[:60]
    query = pledges.reviewable_query(current_user, status if status in PLEDGE_STATUS_LABELS else "")
    query = query.join(MealPledge.organisation).options(
        contains_eager(MealPledge.organisation), contains_eager(MealPledge.outlet).selectinload(Outlet.street))
    streets = streets_within(current_user.region_code)
    if street in dict(streets):
        query = query.where(Outlet.street_code == street)
    if q:  # a region holds a few hundred pledges at most: a plain match on the two names is enough
        query = query.where(sa.or_(Organisation.name.contains(q, autoescape=True),
                                   Outlet.name.contains(q, autoescape=True)))
    query, sorting = sorted_by(query, PLEDGE_COLUMNS, "pledged", MealPledge.id)
    return query, {"status": status, "street": street, "streets": streets, "q": q, "sorting": sorting}


@bp.route("/pledges")
@roles_required(*STAFF)
def pledge_list() -> str:
    """Meal pledges of outlets in the region, waiting ones first."""
    query, filters = _pledges()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("meals/staff_pledges.html", page=page, labels=PLEDGE_STATUS_LABELS,
                           columns=PLEDGE_COLUMNS, **filters)


@bp.route("/pledges/export.<fmt>")
@roles_required(*STAFF)
def pledge_export(fmt: str) -> Response:
    """The filtered pledges as CSV or XLSX, in the page's order."""
    query, _filters = _pledges()
    return listing.export(query, PLEDGE_COLUMNS, fmt, "meal-pledges",
                          back=url_for("staff_meals.pledge_list", **request.args))


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
    query, filters = _codes()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("meals/codes.html", page=page, form=form, action_form=ActionForm(), columns=CODE_COLUMNS,
                           states=eligibility.CODE_STATES, code_state=eligibility.code_state, **filters)


def _state_label(row: EligibilityCode) -> str:
    return str(eligibility.CODE_STATES[eligibility.code_state(row, timing.local_date(timing.now()))])


CODE_COLUMNS = (
    Column("no", _l("No."), EligibilityCode.id, lambda c: c.id),
    Column("issued", _l("Issued"), EligibilityCode.issued_at, lambda c: c.issued_at),
    Column("note", _l("Note"), EligibilityCode.note, lambda c: c.note),
    Column("expires", _l("Valid until"), EligibilityCode.expires_on, lambda c: c.expires_on),
    Column("used", _l("First used"), EligibilityCode.first_used_at, lambda c: c.first_used_at),
    Column("state", _l("Status"), None, _state_label),
)


def _codes() -> tuple[Any, dict[str, Any]]:
    """The codes this person may see, by state and words of the note; newest first by default."""
    today = timing.local_date(timing.now())
    state = request.args.get("state", "")
    q = request.args.get("q", "").strip()[:60]
    query = eligibility.visible_query(current_user)
    if state in eligibility.CODE_STATES:
        query = query.where(eligibility.in_state(state, today))
    if q:
        query = query.where(EligibilityCode.note.contains(q, autoescape=True))
    query, sorting = sorted_by(query, CODE_COLUMNS, "-no", EligibilityCode.id)
    return query, {"state": state, "q": q, "sorting": sorting, "today": today}


@codes_bp.route("/export.<fmt>")
@roles_required(Role.STAFF, Role.ADMIN, Role.ORG_MEMBER)
def code_export(fmt: str) -> Response:
    """The filtered codes as CSV or XLSX (their numbers and states: the codes themselves are not kept)."""
    _may_issue()
    query, _filters = _codes()
    return listing.export(query, CODE_COLUMNS, fmt, "meal-codes", back=url_for("meal_codes.code_list", **request.args))


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
