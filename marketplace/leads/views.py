"""The public "report a household" form, and the staff pages that triage leads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import clock, listing
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, region_filter
from marketplace.audit.models import AuditEvent
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.households.forms import yuan_to_fen
from marketplace.leads import service
from marketplace.leads.forms import CloseLeadForm, LeadForm, LeadReferralForm
from marketplace.leads.models import LEAD_STATUS_LABELS, Lead, LeadStatus
from marketplace.listing import Column, sorted_by
from marketplace.paging import cursor_arg, paginate
from marketplace.regions.models import Region
from marketplace.taxonomy import LIGHT_LABELS, LIGHTS
from marketplace.unit_of_work import refusal

bp = Blueprint("leads", __name__)
STAFF = (Role.STAFF, Role.ADMIN)


@bp.app_context_processor
def _questions() -> dict[str, Any]:
    """What the referral page asks of leads (the chain lead → referral), answered here."""
    return {"lead_of_referral": service.lead_of_referral}


def _lead_limit() -> str:
    return current_app.config.get("LEAD_RATE_LIMIT", "5 per 10 minutes;30 per day")


def _reporter_text() -> str:
    """What a signed-in reporter is prefilled as: their name or email, and their organisation."""
    if not current_user.is_authenticated:
        return ""
    who = current_user.display_name or current_user.email
    org = getattr(current_user, "organisation", None)
    return f"{who} · {org.name}" if org is not None else who


@bp.route("/leads/new", methods=["GET", "POST"])
@public
@limiter.limit(_lead_limit, methods=["POST"])
def report() -> str | Response | tuple[str, int]:
    """Anyone may report a household that may need help; signed in, the reporter is prefilled."""
    form = LeadForm()
    if not form.is_submitted():
        form.reporter_contact.data = _reporter_text()
        return render_template("leads/new.html", form=form)
    if form.website.data:  # the honeypot: a bot filled a field no person sees; it is told all went well
        return redirect(url_for("leads.thanks"))
    if form.validate():
        with refusal(form.description) as refused:
            service.report(street_code=form.street_code.data, description=form.description.data,
                           household_contact=form.household_contact.data or "",
                           reporter_contact=form.reporter_contact.data or "",
                           reporter=current_user if current_user.is_authenticated else None)
        if not refused:
            return redirect(url_for("leads.thanks"))
    return render_template("leads/new.html", form=form), 400


@bp.route("/leads/thanks")
@public
def thanks() -> str:
    """The same answer for every report (a dropped bot's too)."""
    return render_template("leads/thanks.html")


LEAD_COLUMNS = (
    Column("reported", _l("Reported"), Lead.created_at, lambda lead: lead.created_at),
    Column("where", _l("Street"), Lead.street_code, lambda lead: lead.place),
    Column("by", _l("Reported by"), Lead.reporter_kind, lambda lead: lead.reporter_label),
    Column("status", _l("Status"), Lead.status, lambda lead: lead.status_label),
    Column("light", _l("Light"), Lead.light, lambda lead: str(LIGHT_LABELS.get(lead.light or "", ""))),
    Column("referral", _l("Referral"), Lead.referral_id, lambda lead: lead.referral_id or ""),
)


def _leads() -> tuple[sa.Select, dict[str, Any]]:
    """The region's leads the filters choose, the oldest first (no personal data in the list)."""
    status = request.args.get("status", LeadStatus.NEW)
    light = request.args.get("light", "")
    query = sa.select(Lead).where(region_filter(current_user, Lead.district_code, Lead.street_code))
    if status in set(LeadStatus):
        query = query.where(Lead.status == status)
    if light in LIGHTS:
        query = query.where(Lead.light == light)
    query, sorting = sorted_by(query, LEAD_COLUMNS, "reported", Lead.id)
    return query, {"status": status, "light": light, "sorting": sorting}


@bp.route("/staff/leads/")
@roles_required(*STAFF)
def lead_list() -> str:
    """Leads of the staff member's region, waiting ones first."""
    query, filters = _leads()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("leads/list.html", page=page, columns=LEAD_COLUMNS, statuses=LEAD_STATUS_LABELS,
                           **filters)


@bp.route("/staff/leads/export.<fmt>")
@roles_required(*STAFF)
def lead_export(fmt: str) -> Response:
    """The filtered leads as CSV or XLSX (when, where, who reported, state: no personal data)."""
    query, _filters = _leads()
    return listing.export(query, LEAD_COLUMNS, fmt, "leads", back=url_for("leads.lead_list", **request.args))


def _history(lead: Lead) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.object_type == "leads",
                                        AuditEvent.object_id == str(lead.id)).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _detail(lead: Lead, *, personal: dict[str, str] | None = None, close_form: CloseLeadForm | None = None,
            status: int = 200) -> tuple[str, int]:
    return render_template("leads/detail.html", lead=lead, personal=personal, close_form=close_form or CloseLeadForm(),
                           history=_history(lead)), status


@bp.route("/staff/leads/<int:lead_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def lead_detail(lead_id: int) -> tuple[str, int]:
    """A lead, its chain (referral, needs), and its contacts only after an explicit, audited "show"."""
    lead = guard(db.get_or_404(Lead, lead_id))
    personal = None
    if request.method == "POST":  # the "show contact details" button (CSRF-protected)
        personal = service.reveal_personal_data(lead, actor=current_user)
    return _detail(lead, personal=personal)


def _payload(form: LeadReferralForm) -> dict[str, Any]:
    """The form in the intake contract's shape (its ids are the lead's: the service sets them)."""
    street = db.session.get(Region, form.street_code.data or "")
    household: dict[str, Any] = {
        "category": form.category.data, "group": form.group.data,
        "region_code": street.parent_code if street else "", "street": form.street_code.data,
        "members": form.members.data, "head_name": form.head_name.data,
    }
    for key in ("phone", "address", "id_number"):
        if getattr(form, key).data:
            household[key] = getattr(form, key).data.strip()
    return {
        "household": household,
        "need": {
            "kind": form.need_kind.data, "category": form.need_category.data, "title": form.title.data,
            "description": form.description.data, "quantity": form.quantity.data,
            "estimated_value_fen": None if form.value_yuan.errors else yuan_to_fen(form.value_yuan.data),
            "urgency": "urgent" if form.urgent.data else "normal",
            "needed_by": form.needed_by.data.isoformat() if form.needed_by.data else None,
        },
    }


FIELD_OF_PATH = {"household.street": "street_code", "household.region_code": "street_code",
                 "need.estimated_value_fen": "value_yuan", "need.kind": "need_kind", "need.urgency": "urgent",
                 "need.category": "need_category", "household.category": "category"}


def _show(form: LeadReferralForm, error: DomainError) -> None:
    """The contract's errors beside their fields; any other refusal above the form."""
    errors = getattr(error, "errors", None)
    if not errors:
        form.form_errors.append(error.message)
        return
    for path, message in errors.items():
        field = getattr(form, FIELD_OF_PATH.get(path, path.split(".")[-1]), form.title)
        if not field.errors:
            field.errors = [message.localized()]


@bp.route("/staff/leads/<int:lead_id>/refer", methods=["GET", "POST"])
@roles_required(*STAFF)
def lead_refer(lead_id: int) -> Response | tuple[str, int]:
    """Make the lead a referral: the referral form, prefilled with its street and description."""
    lead = guard(db.get_or_404(Lead, lead_id))
    form = LeadReferralForm(scope=current_user.region_code)
    if not form.is_submitted():
        form.street_code.data, form.description.data = lead.street_code, lead.description
        form.needed_by.data = clock.today() + timedelta(days=30)
        return render_template("leads/refer.html", form=form, lead=lead), 200
    if form.validate():
        with refusal(show=lambda exc: _show(form, exc)) as refused:
            referral = service.refer(lead, _payload(form), actor=current_user)
        if not refused:
            flash(_("Referral made from the lead. Triage it into needs next."), "success")
            return redirect(url_for("referrals.referral_detail", referral_id=referral.id))
    return render_template("leads/refer.html", form=form, lead=lead), 400


@bp.route("/staff/leads/<int:lead_id>/close", methods=["POST"])
@roles_required(*STAFF)
def lead_close(lead_id: int) -> Response | tuple[str, int]:
    """Close the lead without a referral, with a reason."""
    lead = guard(db.get_or_404(Lead, lead_id))
    form = CloseLeadForm()
    if form.validate_on_submit():
        with refusal(form.note) as refused:
            service.close(lead, actor=current_user, reason=form.reason.data, note=form.note.data or "")
        if not refused:
            flash(_("Lead closed."), "success")
            return redirect(url_for("leads.lead_detail", lead_id=lead.id))
    return _detail(lead, close_form=form, status=400)
