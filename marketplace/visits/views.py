"""Staff pages of visits: the visits due, a household's visits and assignment, the visit record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from marketplace import clock, listing, taxonomy
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import guard, region_filter
from marketplace.extensions import db
from marketplace.households.forms import yuan_to_fen
from marketplace.households.models import Household
from marketplace.households.service import NeedDraft
from marketplace.listing import Column, sorted_by
from marketplace.paging import cursor_arg, paginate
from marketplace.regions.service import streets_within
from marketplace.settings import service as settings
from marketplace.unit_of_work import refusal
from marketplace.visits import followups, plans, service
from marketplace.visits.forms import AssignForm, VisitForm
from marketplace.visits.models import VisitPlan

bp = Blueprint("visits", __name__, url_prefix="/staff/visits")
STAFF = (Role.STAFF, Role.ADMIN)
STATE_LABELS = {plans.LATE: _l("overdue past the grace"), plans.OVERDUE: _l("overdue"), plans.DUE_SOON: _l("due soon")}
STATES = {"due": _l("due soon or overdue"), "overdue": _l("overdue"), "late": _l("overdue past the grace"),
          "all": _l("every household visited regularly")}


@bp.app_context_processor
def _visit_words() -> dict[str, Any]:
    """What templates of other features ask about visits (the organisation page's satisfaction)."""
    return {"visit_state_labels": STATE_LABELS, "organisation_satisfaction": followups.satisfaction_of_organisation}


def _assignee(plan: VisitPlan) -> str:
    if plan.caseworker is not None:
        return plan.caseworker.display_name or plan.caseworker.email
    if plan.organisation is not None:
        return plan.organisation.name
    return ""


def due_columns(cut: plans.Cutoffs) -> tuple[Column, ...]:
    """The visits-due list's columns (their sort expressions hold this moment's cut-offs)."""
    return (
        Column("state", _l("Visit"), cut.rank(), lambda p: STATE_LABELS.get(service.state_of(p, cut.now) or "", "")),
        Column("household", _l("Household"), VisitPlan.household_id, lambda p: f"#{p.household_id}"),
        Column("street", _l("Street"), Household.street_code, lambda p: p.household.place),
        Column("category", _l("Assistance category"), Household.category,
               lambda p: taxonomy.HOUSEHOLD_CATEGORIES.get(p.household.category, p.household.category)),
        Column("group", _l("Group"), Household.group,
               lambda p: taxonomy.HOUSEHOLD_GROUPS.get(p.household.group, p.household.group)),
        Column("every", _l("Every (days)"), VisitPlan.interval_days, lambda p: p.interval_days),
        Column("last", _l("Last visit"), VisitPlan.last_visit_at, lambda p: p.last_visit_at),
        Column("due", _l("Due on"), plans.seen_since(), lambda p: plans.due_on(p)),
        Column("assignee", _l("Assigned to"), None, _assignee),
    )


def _streets() -> list[tuple[str, str]]:
    """(code, name) of the streets the signed-in staff member's region holds (a filter's choices)."""
    return streets_within(None if current_user.role == Role.ADMIN else current_user.region_code)


def _caseworkers() -> list[User]:
    """Staff whose region lies in the signed-in member's region (the caseworker filter's choices)."""
    codes = [code for code, _name in _streets()] + ([current_user.region_code] if current_user.region_code else [])
    query = sa.select(User).where(User.role == Role.STAFF, User.is_enabled.is_(True))
    if current_user.role != Role.ADMIN:
        query = query.where(User.region_code.in_(codes))
    return list(db.session.scalars(query.order_by(User.display_name, User.id).limit(500)))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _due() -> tuple[sa.Select, dict[str, Any]]:
    """The region's planned visits the filters choose, overdue first."""
    cut = plans.Cutoffs.at(clock.now())
    columns = due_columns(cut)
    state = request.args.get("state", "due")
    state = state if state in STATES else "due"
    who = request.args.get("who", "")
    caseworker, street = _int_arg("caseworker"), request.args.get("street", "")
    category, group = request.args.get("category", ""), request.args.get("group", "")
    query = (
        sa.select(VisitPlan).join(VisitPlan.household)
        .where(region_filter(current_user, Household.district_code, Household.street_code),
               VisitPlan.interval_days > 0)
        .options(joinedload(VisitPlan.household), joinedload(VisitPlan.caseworker),
                 joinedload(VisitPlan.organisation))
    )
    query = {"due": query.where(cut.due()), "overdue": query.where(cut.overdue()),
             "late": query.where(cut.late())}.get(state, query)
    if who == "mine":
        query = query.where(VisitPlan.caseworker_id == current_user.id)
    elif who == "unassigned":
        query = query.where(VisitPlan.caseworker_id.is_(None), VisitPlan.organisation_id.is_(None))
    elif who == "projects":
        query = query.where(VisitPlan.organisation_id.is_not(None))
    if caseworker is not None:
        query = query.where(VisitPlan.caseworker_id == caseworker)
    if street:
        query = query.where(Household.street_code == street)
    if category in taxonomy.HOUSEHOLD_CATEGORIES:
        query = query.where(Household.category == category)
    if group in taxonomy.HOUSEHOLD_GROUPS:
        query = query.where(Household.group == group)
    query, sorting = sorted_by(query, columns, "state", plans.seen_since())
    query = query.order_by(VisitPlan.id)
    return query, {"state": state, "who": who, "caseworker": caseworker, "street": street, "category": category,
                   "group": group, "sorting": sorting, "columns": columns, "now": cut.now}


@bp.route("/due")
@roles_required(*STAFF)
def due_list() -> str:
    """Visits due in the region, per caseworker and street: overdue past the grace first."""
    query, filters = _due()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("visits/due.html", page=page, states=STATES, streets=_streets(),
                           caseworkers=_caseworkers(), state_of=service.state_of, due_on=plans.due_on, **filters)


@bp.route("/due/export.<fmt>")
@roles_required(*STAFF)
def due_export(fmt: str) -> Response:
    """The filtered visits due as CSV or XLSX (no personal data)."""
    query, filters = _due()
    return listing.export(query, filters["columns"], fmt, "visits-due", back=url_for("visits.due_list", **request.args))


def _household_or_403(household_id: int) -> Household:
    return guard(db.get_or_404(Household, household_id))


def _household_page(household: Household, assign_form: AssignForm | None = None) -> str:
    plan = service.plan_of(household)
    now = clock.now()
    return render_template(
        "visits/household.html", household=household, plan=plan, state=service.state_of(plan, now),
        due=plans.due_on(plan) if plan else None, visits=service.history(household),
        interval=plans.interval_for(household.category, household.group),
        assign_form=assign_form or _assign_form(household, plan),
    )


def _assign_form(household: Household, plan: VisitPlan | None, **kwargs: Any) -> AssignForm:
    current = ""
    if plan is not None and plan.caseworker_id:
        current = f"u{plan.caseworker_id}"
    elif plan is not None and plan.organisation_id:
        current = f"o{plan.organisation_id}"
    return AssignForm(caseworkers=list(db.session.scalars(service.caseworkers_for(household))),
                      projects=list(db.session.scalars(service.social_work_projects())),
                      data=None if kwargs else {"assignee": current}, **kwargs)


@bp.route("/households/<int:household_id>")
@roles_required(*STAFF)
def household(household_id: int) -> str:
    """A household's visit plan: how often, who visits, when next, and the visits so far."""
    return _household_page(_household_or_403(household_id))


@bp.route("/households/<int:household_id>/assign", methods=["POST"])
@roles_required(*STAFF)
def assign(household_id: int) -> str | Response:
    """Give the household's visits to a caseworker or a social-work project."""
    household = _household_or_403(household_id)
    form = _assign_form(household, None, formdata=request.form)
    if form.validate_on_submit():
        caseworker_id, organisation_id = form.chosen()
        with refusal(form.assignee) as refused:
            service.assign(household, caseworker_id=caseworker_id, organisation_id=organisation_id,
                           actor=current_user)
        if not refused:
            flash(_("Visits assigned."), "success")
            return redirect(url_for("visits.household", household_id=household.id))
    return _household_page(household, form), 400


def _draft(form: VisitForm) -> NeedDraft | None:
    if not form.found_need.data:
        return None
    today = clock.today()
    claim_deadline = today + timedelta(days=settings.get("claim_days"))
    return NeedDraft(kind=form.kind.data, category=form.category.data, title=form.title.data or "",
                     story=form.story.data or "", quantity=1, value_fen=yuan_to_fen(form.value_yuan.data),
                     is_urgent=form.urgent.data, claim_deadline=claim_deadline,
                     fulfil_by=claim_deadline + timedelta(days=14))


@bp.route("/households/<int:household_id>/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def record(household_id: int) -> str | Response:
    """Record a visit on the phone: when, who, met or not, what was seen, and a need it found."""
    household = _household_or_403(household_id)
    form = VisitForm()
    if not form.is_submitted():
        form.visited_at.data = clock.local(clock.now()).replace(tzinfo=None, second=0, microsecond=0)
        form.visitors.data = current_user.display_name or current_user.email
        return render_template("visits/record.html", household=household, form=form)
    if form.validate():
        report = service.VisitReport(
            visited_at=form.visited_at.data.replace(tzinfo=clock.SHANGHAI), visitors=form.visitors.data,
            met=form.met.data == "yes", seen=form.seen.data or "", found=_draft(form))
        with refusal(form=form) as refused:
            visit = service.record_visit(household, report, actor=current_user)
        if not refused:
            flash(_("Visit recorded, and the need it found is a draft to publish.") if visit.need_id
                  else _("Visit recorded."), "success")
            return redirect(url_for("visits.household", household_id=household.id))
    return render_template("visits/record.html", household=household, form=form), 400
