"""Staff pages for needs: the region's list and each need's actions (publish … confirm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from marketplace import listing, money, qr, taxonomy
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, region_filter
from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.listing import Column, Sorting, sorted_by
from marketplace.needs import browse as browsing
from marketplace.needs import transitions
from marketplace.needs.forms import ActionForm, ConfirmForm, ReasonForm, ReassignForm, ReplanForm, TextForm
from marketplace.needs.light_reasons import need_reason as light_reason
from marketplace.needs.models import NEED_STATUS_LABELS, Claim, Need
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.paging import cursor_arg, paginate
from marketplace.regions import offices
from marketplace.regions.service import streets_within
from marketplace.search import text
from marketplace.taxonomy import LIGHTS
from marketplace.unit_of_work import refusal

bp = Blueprint("staff_needs", __name__, url_prefix="/staff/needs")
STAFF = (Role.STAFF, Role.ADMIN)


def _need_or_404(need_id: int) -> Need:
    need = guard(db.get_or_404(Need, need_id))
    return need


NEED_COLUMNS = (
    Column("title", _l("Need"), Need.title, lambda n: n.title),
    Column("where", _l("Where"), Need.street_code, lambda n: n.place),
    Column("category", _l("Category"), Need.category, lambda n: taxonomy.NEED_CATEGORIES.get(n.category, n.category)),
    Column("value", _l("Value"), Need.value_fen, lambda n: money.show(n.value_fen)),
    Column("status", _l("Status"), Need.status, lambda n: n.status_label),
    Column("light", _l("Light"), Need.light, lambda n: light_reason(n) or ""),
    Column("claimed_by", _l("Claimed by"), None, lambda n: n.claimed_by.name if n.claimed_by else ""),
    Column("promised_by", _l("Promised by"), Need.promised_by, lambda n: n.promised_by),
    Column("published", _l("Published"), Need.published_at, lambda n: n.published_at),
    Column("changed", _l("Last change"), Need.updated_at, lambda n: n.updated_at),
)


def _needs() -> tuple[sa.Select, dict[str, Any]]:
    """The region's needs the filters choose; a search (`q`, as on the public list) puts the best
    matches first unless a column is chosen to sort by."""
    status = request.args.get("status", "")
    street = request.args.get("street", "")[:12]
    category = request.args.get("category", "")
    q = request.args.get("q", "").strip()[:60]
    # Each row names its street and the organisation holding it: joined in, not loaded row by row.
    query = (sa.select(Need).options(joinedload(Need.district), joinedload(Need.street), joinedload(Need.claimed_by))
             .where(region_filter(current_user, Need.district_code, Need.street_code)))
    if status in NEED_STATUS_LABELS:
        query = query.where(Need.status == status)
    if request.args.get("light") in LIGHTS:
        query = query.where(Need.light == request.args["light"])
    streets = streets_within(current_user.region_code)
    if street in dict(streets):
        query = query.where(Need.street_code == street)
    if category in taxonomy.NEED_CATEGORIES:
        query = query.where(Need.category == category)
    searched = text.parse(q)
    sorting = None
    if searched and not request.args.get("sort"):
        match = browsing.search_match(searched)
        query = match.apply(query).order_by(match.rank, Need.updated_at, Need.id)
    else:
        if searched:
            query = browsing.search_match(searched).apply(query)
        query, sorting = sorted_by(query, NEED_COLUMNS, "changed", Need.id)
    return query, {"status": status, "street": street, "category": category, "q": q, "query": searched,
                   "sorting": sorting or Sorting("", False), "streets": streets}


@bp.route("/")
@roles_required(*STAFF)
def need_list() -> str:
    """Needs of the region, filtered by state, street, category and light, searched, sorted by any
    column (by default the oldest change first: what has waited longest)."""
    query, filters = _needs()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("staff_needs/list.html", page=page, labels=NEED_STATUS_LABELS, columns=NEED_COLUMNS,
                           **filters)


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def need_export(fmt: str) -> Response:
    """The filtered needs as CSV or XLSX, in the page's order (public fields only, no personal data)."""
    query, _filters = _needs()
    return listing.export(query, NEED_COLUMNS, fmt, "needs", back=url_for("staff_needs.need_list", **request.args))


def _reassign_form() -> ReassignForm:
    form = ReassignForm()
    orgs = db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.status == OrgStatus.APPROVED)
        .order_by(Organisation.name)
    )
    form.organisation_id.choices = [SelectChoice(str(i), n) for i, n in orgs]
    return form


def _forms(need: Need) -> dict[str, Any]:
    return {"action_form": ActionForm(), "confirm_form": ConfirmForm(), "reason_form": ReasonForm(),
            "replan_form": ReplanForm(), "reassign_form": _reassign_form(),
            "text_form": TextForm(formdata=None, title=need.title, story=need.story)}


@bp.route("/<int:need_id>")
@roles_required(*STAFF)
def need_detail(need_id: int) -> str:
    """One need: its story, claim, evidence, history and the actions its state allows."""
    need = _need_or_404(need_id)
    return render_template("staff_needs/detail.html", need=need, history=audit.history("needs", need.id),
                           **_forms(need))


@bp.route("/<int:need_id>/text", methods=["POST"])
@roles_required(*STAFF)
def rewrite(need_id: int) -> str | Response | tuple[str, int]:
    """Rewrite the public title and story; a leak is shown beside the field it is in."""
    need = _need_or_404(need_id)
    form = TextForm()
    if form.validate_on_submit():
        with refusal(form=form) as refused:
            transitions.rewrite(need, actor=current_user, title=form.title.data, story=form.story.data)
        if not refused:
            flash(_("The public text is rewritten."), "success")
            return redirect(url_for("staff_needs.need_detail", need_id=need.id))
        db.session.refresh(need)
    forms = {**_forms(need), "text_form": form}
    return render_template("staff_needs/detail.html", need=need, history=audit.history("needs", need.id),
                           **forms), 400


def _act(need_id: int, form: Any, operation: Callable[[Need, Any], Any], done: str) -> str | Response:
    """Run one transition from a posted form; errors go back to the page, nothing half-done."""
    need = _need_or_404(need_id)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("staff_needs.need_detail", need_id=need.id))
    with refusal() as refused:
        result = operation(need, form)
    if refused:
        return redirect(url_for("staff_needs.need_detail", need_id=need.id))
    if isinstance(result, str) and result:  # a freshly issued recipient code: shown once, for printing
        target = url_for("needs.recipient_confirm", code=result, _external=True)
        return render_template("staff_needs/slip.html", need=need, code=result,
                               qr=qr.svg(target, _("QR code: scan to confirm with the code filled in")),
                               office=offices.office_of(need.street or need.district))
    flash(done, "success")
    return redirect(url_for("staff_needs.need_detail", need_id=need.id))


@bp.route("/<int:need_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def publish(need_id: int) -> str | Response:
    """Draft → published."""
    return _act(need_id, ActionForm(),
                lambda n, f: transitions.publish(n, actor=current_user), _("Published."))


@bp.route("/<int:need_id>/cancel", methods=["POST"])
@roles_required(*STAFF)
def cancel(need_id: int) -> str | Response:
    """Cancel with a reason."""
    return _act(need_id, ReasonForm(), lambda n, f: transitions.cancel(n, actor=current_user, reason=f.reason.data),
                _("Need cancelled."))


@bp.route("/<int:need_id>/replan", methods=["POST"])
@roles_required(*STAFF)
def replan(need_id: int) -> str | Response:
    """Expired → published with new dates."""
    return _act(need_id, ReplanForm(), lambda n, f: transitions.replan(
        n, actor=current_user, claim_deadline=f.claim_deadline.data, fulfil_by=f.fulfil_by.data), _("Published again."))


def _chosen_part(need: Need) -> Claim | None:
    """The part a staff form acts on (its hidden `part` field), for a need held in parts."""
    raw = request.form.get("part", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return next((c for c in need.claims if c.id == int(raw)), None)


@bp.route("/<int:need_id>/release", methods=["POST"])
@roles_required(*STAFF)
def release(need_id: int) -> str | Response:
    """Take the claim away and publish the need again."""
    return _act(need_id, ReasonForm(), lambda n, f: transitions.release(n, actor=current_user, reason=f.reason.data,
                                                                  part=_chosen_part(n)),
                _("Claim released; the need is open again."))


@bp.route("/<int:need_id>/reassign", methods=["POST"])
@roles_required(*STAFF)
def reassign(need_id: int) -> str | Response:
    """Give the claim to another approved organisation."""

    def operation(need: Need, form: ReassignForm) -> None:
        org = db.session.get(Organisation, form.organisation_id.data)
        transitions.reassign(need, actor=current_user, organisation=org, promised_by=form.promised_by.data)

    return _act(need_id, _reassign_form(), operation, _("Claim reassigned."))


@bp.route("/<int:need_id>/confirm", methods=["POST"])
@roles_required(*STAFF)
def confirm(need_id: int) -> str | Response:
    """Delivered → closed after the caseworker's visit."""
    def operation(need: Need, form: ConfirmForm) -> None:
        transitions.confirm_by_caseworker(need, actor=current_user, rating=int(form.rating.data),
                                          feedback=form.feedback.data or "", part=_chosen_part(need))

    need = _need_or_404(need_id)
    done = _("Part confirmed.") if need.is_split else _("Confirmed and closed.")
    return _act(need_id, ConfirmForm(), operation, done)


@bp.route("/<int:need_id>/reject", methods=["POST"])
@roles_required(*STAFF)
def reject(need_id: int) -> str | Response:
    """Delivered → claimed again, with the reason."""
    return _act(need_id, ReasonForm(), lambda n, f: transitions.reject(n, actor=current_user, reason=f.reason.data,
                                                                       part=_chosen_part(n)),
                _("Delivery rejected; the organisation has been told why."))


@bp.route("/<int:need_id>/code", methods=["POST"])
@roles_required(*STAFF)
def recipient_code(need_id: int) -> str | Response:
    """Issue a one-time confirmation code and show the printable slip."""
    return _act(need_id, ActionForm(),
                lambda n, f: transitions.issue_recipient_code(n, actor=current_user), "")
