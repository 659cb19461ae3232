"""Staff pages of transfers (transfer a need or a referral, the list, the answer) and the admins'
list of departments."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import clock, listing
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, region_filter
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.listing import Column, sorted_by
from marketplace.needs.models import Need
from marketplace.paging import cursor_arg, paginate
from marketplace.taxonomy import LIGHT_LABELS, LIGHTS
from marketplace.transfers import service
from marketplace.transfers.forms import AnswerForm, DepartmentForm, TransferForm
from marketplace.transfers.models import TRANSFER_STATUS_LABELS, Department, Transfer, TransferStatus
from marketplace.unit_of_work import refusal

bp = Blueprint("transfers", __name__)
STAFF = (Role.STAFF, Role.ADMIN)


def _region_condition(code: str) -> Any:
    """The dashboard's chosen region as a condition on transfers (None: the whole city)."""
    if not code or len(code) not in (6, 9):
        return None
    return Transfer.district_code == code if len(code) == 6 else Transfer.street_code == code


@bp.app_context_processor
def _questions() -> dict[str, Any]:
    """What other features' pages ask of transfers, answered here so they never import it."""
    return {
        "need_transfers": lambda need: {
            "open": service.open_transfer(need), "may": service.may_transfer_need(need, current_user),
            "all": db.session.scalars(sa.select(Transfer).where(Transfer.need_id == need.id)
                                      .order_by(Transfer.id)).all()},
        "referral_transfers": lambda referral: {
            "all": service.of_referral(referral), "may": service.may_transfer_referral(referral, current_user)},
        "transfer_counts": lambda code="": service.counts(current_user, _region_condition(code)),
    }


TRANSFER_COLUMNS = (
    Column("requested", _l("Transferred"), Transfer.requested_at, lambda t: t.requested_at),
    Column("department", _l("Department"), Department.name, lambda t: t.department.name),
    Column("title", _l("What"), None, lambda t: t.title),
    Column("where", _l("Where"), Transfer.street_code, lambda t: t.place),
    Column("due", _l("Answer due"), Transfer.due_on, lambda t: t.due_on),
    Column("status", _l("Status"), Transfer.status, lambda t: t.status_label),
    Column("outcome", _l("Outcome"), Transfer.outcome, lambda t: t.outcome_label),
    Column("light", _l("Light"), Transfer.light, lambda t: str(LIGHT_LABELS.get(t.light or "", ""))),
)
STATUS_FILTERS = {"open": _l("waiting (all)"), **TRANSFER_STATUS_LABELS}


def _transfers() -> tuple[sa.Select, dict[str, Any]]:
    """The region's transfers the filters choose, the soonest due first by default."""
    status = request.args.get("status", "open")
    department = request.args.get("department", "")
    light = request.args.get("light", "")
    query = (sa.select(Transfer).join(Transfer.department)
             .where(region_filter(current_user, Transfer.district_code, Transfer.street_code)))
    if status == "open":
        query = query.where(Transfer.status.in_((TransferStatus.REQUESTED, TransferStatus.OVERDUE)))
    elif status in set(TransferStatus):
        query = query.where(Transfer.status == status)
    if department.isdigit():
        query = query.where(Transfer.department_id == int(department))
    if light in LIGHTS:
        query = query.where(Transfer.light == light)
    query, sorting = sorted_by(query, TRANSFER_COLUMNS, "due", Transfer.id)
    return query, {"status": status, "department": department, "light": light, "sorting": sorting}


@bp.route("/staff/transfers/")
@roles_required(*STAFF)
def transfer_list() -> str:
    """Transfers of the staff member's region, filtered by state, department and light."""
    query, filters = _transfers()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    departments = [(str(d.id), d.name) for d in db.session.scalars(sa.select(Department).order_by(Department.name))]
    return render_template("transfers/list.html", page=page, columns=TRANSFER_COLUMNS, departments=departments,
                           statuses=STATUS_FILTERS, **filters)


@bp.route("/staff/transfers/export.<fmt>")
@roles_required(*STAFF)
def transfer_export(fmt: str) -> Response:
    """The filtered transfers as CSV or XLSX (department, what, where, dates: no personal data)."""
    query, _filters = _transfers()
    return listing.export(query, TRANSFER_COLUMNS, fmt, "transfers",
                          back=url_for("transfers.transfer_list", **request.args))


def _history(transfer: Transfer) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.object_type == "transfers",
                                        AuditEvent.object_id == str(transfer.id)).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _detail(transfer: Transfer, form: AnswerForm | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("transfers/detail.html", transfer=transfer, form=form or AnswerForm(),
                           may_answer=service.may_answer(transfer, current_user), history=_history(transfer),
                           overdue=service.status_of(transfer, clock.today()) == TransferStatus.OVERDUE), status


@bp.route("/staff/transfers/<int:transfer_id>")
@roles_required(*STAFF)
def transfer_detail(transfer_id: int) -> tuple[str, int]:
    """One transfer: what was asked, of whom, by when; the answer form while it is open."""
    return _detail(guard(db.get_or_404(Transfer, transfer_id)))


@bp.route("/staff/transfers/<int:transfer_id>/answer", methods=["POST"])
@roles_required(*STAFF)
def transfer_answer(transfer_id: int) -> Response | tuple[str, int]:
    """Record the department's answer and what it decided."""
    transfer = guard(db.get_or_404(Transfer, transfer_id))
    form = AnswerForm()
    if form.validate_on_submit():
        with refusal(form.answer) as refused:
            service.answer(transfer, actor=current_user, outcome=form.outcome.data, text=form.answer.data)
        if not refused:
            flash(_("Answer recorded."), "success")
            return redirect(url_for("transfers.transfer_detail", transfer_id=transfer.id))
    return _detail(transfer, form, 400)


def _new(subject: Need | Referral, action: Any, back: str) -> Response | tuple[str, int]:
    departments = service.active_departments()
    form = TransferForm(departments=departments)
    if not form.is_submitted():
        form.due_on.data = service.default_due()
        return render_template("transfers/new.html", form=form, subject=subject, back=back), 200
    if form.validate():
        department = db.session.get(Department, int(form.department_id.data))
        with refusal(form.note) as refused:
            transfer = action(department, form.due_on.data, form.note.data)
        if not refused:
            flash(_("Transferred to %(department)s.", department=department.name), "success")
            return redirect(url_for("transfers.transfer_detail", transfer_id=transfer.id))
    return render_template("transfers/new.html", form=form, subject=subject, back=back), 400


@bp.route("/staff/transfers/new/need/<int:need_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def transfer_need(need_id: int) -> Response | tuple[str, int]:
    """Transfer a need nobody has claimed to a department (it leaves the public pool meanwhile)."""
    need = guard(db.get_or_404(Need, need_id))
    return _new(need, lambda department, due_on, note: service.transfer_need(
        need, actor=current_user, department=department, due_on=due_on, note=note),
        url_for("staff_needs.need_detail", need_id=need.id))


@bp.route("/staff/transfers/new/referral/<int:referral_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def transfer_referral(referral_id: int) -> Response | tuple[str, int]:
    """Transfer a referral waiting for triage, as a whole, to a department."""
    referral = guard(db.get_or_404(Referral, referral_id))
    return _new(referral, lambda department, due_on, note: service.transfer_referral(
        referral, actor=current_user, department=department, due_on=due_on, note=note),
        url_for("referrals.referral_detail", referral_id=referral.id))


# --- departments (admins) --------------------------------------------------------------------------

@bp.route("/admin/departments/")
@roles_required(Role.ADMIN)
def department_list() -> str:
    """Every department, with its contact and whether it takes transfers."""
    departments = db.session.scalars(sa.select(Department).order_by(Department.is_active.desc(),
                                                                     Department.name)).all()
    return render_template("transfers/departments.html", departments=departments)


def _save(department: Department | None) -> Response | tuple[str, int]:
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        data = service.DepartmentIn(name=form.name.data, remit=form.remit.data or "",
                                    contact_name=form.contact_name.data or "",
                                    contact_phone=form.contact_phone.data or "",
                                    contact_email=form.contact_email.data or "", is_active=form.is_active.data)
        with refusal(form.name) as refused:
            service.save_department(department, data, actor=current_user)
        if not refused:
            flash(_("Department saved."), "success")
            return redirect(url_for("transfers.department_list"))
    status = 400 if form.is_submitted() else 200
    return render_template("transfers/department_form.html", form=form, department=department), status


@bp.route("/admin/departments/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def department_new() -> Response | tuple[str, int]:
    """Add a department staff may transfer to."""
    return _save(None)


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def department_edit(department_id: int) -> Response | tuple[str, int]:
    """Change a department's contact, or stop transfers to it."""
    return _save(db.get_or_404(Department, department_id))
