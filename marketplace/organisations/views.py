"""Organisation pages: public registration, the member's own status, and staff review."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import listing, taxonomy
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db, limiter
from marketplace.listing import Column, sorted_by
from marketplace.organisations import service
from marketplace.organisations.forms import CapabilityForm, RecommendationForm, RegistrationForm, ReviewForm
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.paging import cursor_arg, paginate
from marketplace.unit_of_work import refusal

bp = Blueprint("organisations", __name__)
bp.context_processor(lambda: {"OrgStatus": OrgStatus})  # pages name the states they show by their enum

STAFF_ROLES = (Role.STAFF, Role.ADMIN)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


@bp.route("/org/register", methods=["GET", "POST"])
@public
@limiter.limit(_registration_limit, methods=["POST"])
def register() -> str | Response:
    """An organisation applies; it can sign in at once and watch its status. The answer is the same
    when the email already has an account (then nothing is created and the owner is told by email)."""
    form = RegistrationForm()
    if form.validate_on_submit():
        reg = service.Registration(
            name=form.name.data, kind=form.kind.data, credit_code=form.credit_code.data,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            contact_email=form.contact_email.data, description=form.description.data or "",
            region_codes=form.regions.data, categories=form.categories.data,
            member_email=form.member_email.data, member_password=form.password.data,
        )
        with refusal(show=lambda exc: flash(_("Registration failed: %(reason)s", reason=exc.message), "error")) \
                as refused:
            service.register(reg)
        if not refused:
            flash(_("Thank you. Your application is with the civil-affairs staff; sign in to follow it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("organisations/register.html", form=form)


@bp.route("/org/")
@roles_required(Role.ORG_MEMBER, Role.OUTLET_STAFF)
def mine() -> str:
    """The member's organisation: its status and, if rejected, why."""
    org = current_user.organisation
    if org is None:
        abort(404)
    return render_template("organisations/mine.html", org=org)


def _yuan(fen: int | None) -> int | None:
    return None if fen is None else fen // 100


def _fen(yuan: int | None) -> int | None:
    return None if yuan is None else yuan * 100


@bp.route("/org/capability", methods=["GET", "POST"])
@roles_required(Role.ORG_MEMBER)
def capability() -> str | Response:
    """The organisation's capability profile: its members state it, the recommendations read it."""
    org = current_user.organisation
    if org is None:
        abort(404)
    form = CapabilityForm(data={
        "categories": org.categories, "regions": [r.code for r in org.regions],
        "capacity_open": org.capacity_open, "capacity_month": org.capacity_month,
        "value_min": _yuan(org.value_min_fen), "value_max": _yuan(org.value_max_fen),
        "response_hours": org.response_hours})
    if form.validate_on_submit():
        cap = service.Capability(
            categories=form.categories.data, region_codes=form.regions.data, capacity_open=form.capacity_open.data,
            capacity_month=form.capacity_month.data, value_min_fen=_fen(form.value_min.data),
            value_max_fen=_fen(form.value_max.data), response_hours=form.response_hours.data)
        with refusal() as refused:
            service.update_capability(org, cap, actor=current_user)
        if not refused:
            flash(_("Your capability profile is saved: your recommendations follow it."), "success")
            return redirect(url_for("organisations.mine"))
    return render_template("organisations/capability.html", org=org, form=form)


ORG_COLUMNS = (
    Column("name", _l("Name"), Organisation.name, lambda o: o.name),
    Column("credit_code", _l("Credit code"), None, lambda o: o.credit_code),
    Column("kind", _l("Type"), Organisation.kind, lambda o: taxonomy.ORGANISATION_KINDS.get(o.kind, o.kind)),
    Column("regions", _l("Regions"), None, lambda o: "、".join(r.name for r in o.regions)),
    Column("contact", _l("Contact"), None, lambda o: f"{o.contact_name} {o.contact_phone}"),
    Column("applied", _l("Applied"), Organisation.created_at, lambda o: o.created_at),
    Column("status", _l("Status"), Organisation.status, lambda o: o.status_label),
    Column("light", _l("Light"), Organisation.light, lambda o: taxonomy.LIGHT_LABELS.get(o.light or "", "")),
)


def _organisations() -> tuple[sa.Select, dict[str, str]]:
    """The organisations the filters choose, in the staff member's region."""
    status = request.args.get("status", "pending")
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()[:100]
    query = service.reviewable_query(current_user, status=status if status != "all" else "", kind=kind, q=q)
    if request.args.get("light") in ("red", "yellow", "green"):
        query = query.where(Organisation.light == request.args["light"])
    query, sorting = sorted_by(query, ORG_COLUMNS, "-applied", Organisation.id)
    return query, {"status": status, "kind": kind, "q": q, "sorting": sorting}


@bp.route("/staff/organisations")
@roles_required(*STAFF_ROLES)
def review_list() -> str:
    """Organisations in the staff member's region, filtered, sorted and paged."""
    query, filters = _organisations()
    page = paginate(query, per_page=20, cursor=cursor_arg())
    return render_template("organisations/review_list.html", page=page, columns=ORG_COLUMNS, **filters)


@bp.route("/staff/organisations/export.<fmt>")
@roles_required(*STAFF_ROLES)
def review_export(fmt: str) -> Response:
    """The filtered organisations as CSV or XLSX."""
    query, _filters = _organisations()
    return listing.export(query, ORG_COLUMNS, fmt, "organisations",
                          back=url_for("organisations.review_list", **request.args))


def _reviewable_or_403(org_id: int) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if not service.can_review(current_user, org):
        abort(403)
    return org


def _review_page(org: Organisation, form: ReviewForm | None = None,
                 recommendation_form: RecommendationForm | None = None) -> str:
    return render_template("organisations/review.html", org=org, form=form or ReviewForm(formdata=None),
                           recommendation_form=recommendation_form or RecommendationForm(formdata=None))


@bp.route("/staff/organisations/<int:org_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def review(org_id: int) -> str | Response:
    """One organisation's application, with the approve/reject decision for staff covering all its regions."""
    org = _reviewable_or_403(org_id)
    form = ReviewForm()
    if form.validate_on_submit():
        with refusal() as refused:
            approve = form.decision.data == "approve"
            service.review(org, actor=current_user, approve=approve, reason=form.reason.data or "")
        if not refused:
            flash(_("Decision saved: %(name)s is now %(status)s.", name=org.name, status=org.status_label), "success")
            return redirect(url_for("organisations.review_list"))
    return _review_page(org, form=form)


@bp.route("/staff/organisations/<int:org_id>/recommend", methods=["POST"])
@roles_required(*STAFF_ROLES)
def recommend(org_id: int) -> str | Response:
    """Staff who may not decide recommend a decision, with a reason, to those who do."""
    org = _reviewable_or_403(org_id)
    form = RecommendationForm()
    if form.validate_on_submit():
        with refusal() as refused:
            service.recommend(org, actor=current_user, decision=form.decision.data, reason=form.reason.data)
        if not refused:
            flash(_("Your recommendation is recorded for the staff who decide."), "success")
            return redirect(url_for("organisations.review", org_id=org.id))
    return _review_page(org, recommendation_form=form)
