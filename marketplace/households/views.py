"""Staff pages for referrals (enter, triage, decline) and households (audited personal data)."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import with_expression
from werkzeug.wrappers import Response

from marketplace import clock, listing, money, taxonomy
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, in_scope, region_filter
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households import contract, identity, intake, merge, search, service
from marketplace.households.forms import DeclineForm, ReferralForm, TriageForm, yuan_to_fen
from marketplace.households.models import STAFF_SOURCE, Household, Referral, ReferralStatus
from marketplace.listing import Column, Sorting, sorted_by
from marketplace.needs import transitions
from marketplace.needs.models import Need, NeedStatus
from marketplace.paging import cursor_arg, paginate
from marketplace.regions.models import Region
from marketplace.search import text
from marketplace.settings import service as settings
from marketplace.taxonomy import LIGHTS
from marketplace.unit_of_work import refusal

bp = Blueprint("referrals", __name__, url_prefix="/staff")
STAFF = (Role.STAFF, Role.ADMIN)
REFERRAL_STATUSES = tuple(ReferralStatus)  # the triage states a referral list filters by


def _referral_or_404(referral_id: int) -> Referral:
    referral = guard(db.get_or_404(Referral, referral_id))
    return referral


REFERRAL_COLUMNS = (
    Column("referred", _l("Referred"), Referral.referred_at, lambda r: r.referred_at),
    Column("source", _l("Source and id"), Referral.source, lambda r: f"{r.source} · {r.external_id}"),
    Column("title", _l("What is needed"), Referral.title, lambda r: r.title),
    Column("category", _l("Need category"), Referral.need_category,
           lambda r: taxonomy.NEED_CATEGORIES.get(r.need_category, r.need_category)),
    Column("value", _l("Estimated value"), Referral.estimated_value_fen, lambda r: money.show(r.estimated_value_fen)),
    Column("where", _l("Where"), Household.street_code, lambda r: r.household.place),
    Column("status", _l("Status"), Referral.status, lambda r: r.status_label),
)


def _referrals() -> tuple[sa.Select, dict[str, Any]]:
    """The region's referrals the filters choose; a search puts the best matches first unless a
    column is chosen to sort by (by default the longest waiting first)."""
    status = request.args.get("status", "received")
    category = request.args.get("category", "")
    q = request.args.get("q", "").strip()[:60]
    query = (
        sa.select(Referral).join(Referral.household)
        .where(region_filter(current_user, Referral.district_code, Household.street_code))
    )
    if status in REFERRAL_STATUSES:
        query = query.where(Referral.status == status)
    if category in taxonomy.NEED_CATEGORIES:
        query = query.where(Referral.need_category == category)
    searched = text.parse(q)
    if searched and not request.args.get("sort"):  # best matches first (the same search as the needs lists)
        match = search.match(searched)
        query = match.apply(query).order_by(match.rank, Referral.referred_at, Referral.id)
        sorting = Sorting("", False)
    else:
        if searched:
            query = search.match(searched).apply(query)
        query, sorting = sorted_by(query, REFERRAL_COLUMNS, "referred", Referral.id)
    return query, {"status": status, "category": category, "q": q, "query": searched, "sorting": sorting}


@bp.route("/referrals")
@roles_required(*STAFF)
def referral_list() -> str:
    """Referrals of the staff member's region, the ones waiting for triage first."""
    query, filters = _referrals()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("referrals/list.html", page=page, columns=REFERRAL_COLUMNS, **filters)


@bp.route("/referrals/export.<fmt>")
@roles_required(*STAFF)
def referral_export(fmt: str) -> Response:
    """The filtered referrals as CSV or XLSX (what is needed and where: no personal data)."""
    query, _filters = _referrals()
    return listing.export(query, REFERRAL_COLUMNS, fmt, "referrals",
                          back=url_for("referrals.referral_list", **request.args))


def _payload(form: ReferralForm) -> dict[str, Any]:
    """The form in the shape of the intake contract, so it is validated like any referral.

    A field the form could not read (a number, the date, the amount) is sent as null: its own error
    is already shown, and the contract's "required" is not added to it.
    """
    street = db.session.get(Region, form.street_code.data or "")
    stamp = clock.local(clock.now())
    household: dict[str, Any] = {
        "external_id": f"SH-{secrets.token_hex(5)}", "category": form.category.data, "group": form.group.data,
        "region_code": street.parent_code if street else "", "street": form.street_code.data,
        "members": form.members.data, "head_name": form.head_name.data,
    }
    for key in ("phone", "address", "id_number"):
        if getattr(form, key).data:
            household[key] = getattr(form, key).data.strip()
    return {
        "external_id": f"S{stamp:%Y%m%d}-{secrets.token_hex(4)}",
        "referred_at": stamp.isoformat(timespec="seconds"),
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


def _show(form: ReferralForm, errors: contract.Errors) -> None:
    """The contract's errors beside the fields they are about (a field keeps its own error if it has one)."""
    for path, message in errors.items():
        field = getattr(form, FIELD_OF_PATH.get(path, path.split(".")[-1]), form.title)
        if not field.errors:
            field.errors = [message.localized()]


@bp.route("/referrals/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def referral_new() -> str | Response:
    """A referral typed in by staff; it lands in the triage queue like any other."""
    form = ReferralForm(scope=current_user.region_code)
    if not form.is_submitted():
        return render_template("referrals/new.html", form=form)
    readable = form.validate()
    street = db.session.get(Region, form.street_code.data or "")
    if street is not None and not in_scope(current_user, street.parent_code or "", street.code):
        form.street_code.errors = [*form.street_code.errors, _("This street is outside your region.")]
        readable = False
    payload = _payload(form)
    if readable:
        with refusal(show=lambda exc: _show(form, exc.errors)) as refused:
            received = intake.receive(STAFF_SOURCE, payload, actor=current_user)
        if not refused:
            flash(_("Referral recorded. Triage it into needs next."), "success")
            return redirect(url_for("referrals.referral_detail", referral_id=received.referral.id))
    else:
        _show(form, contract.validate(payload)[1])  # every error at once, not the form's first
    return render_template("referrals/new.html", form=form)


@bp.route("/referrals/<int:referral_id>")
@roles_required(*STAFF)
def referral_detail(referral_id: int) -> str:
    """A referral, the needs made from it, and the triage and decline forms."""
    referral = _referral_or_404(referral_id)
    return render_template(
        "referrals/detail.html", referral=referral,
        form=TriageForm.for_referral(referral, settings.get("claim_days")), decline_form=DeclineForm(),
        wish_cap=settings.get("wish_cap_fen"), joined=identity.joined_existing(referral),
    )


@bp.route("/referrals/<int:referral_id>/triage", methods=["POST"])
@roles_required(*STAFF)
def referral_triage(referral_id: int) -> str | Response:
    """Make a need (draft, or published at once) from the referral."""
    referral = _referral_or_404(referral_id)
    form = TriageForm()
    if form.validate_on_submit():
        draft = service.NeedDraft(
            kind=form.kind.data, category=form.category.data, title=form.title.data, story=form.story.data,
            quantity=form.quantity.data, value_fen=yuan_to_fen(form.value_yuan.data), is_urgent=form.urgent.data,
            claim_deadline=form.claim_deadline.data, fulfil_by=form.fulfil_by.data,
        )
        with refusal(form.story, form=form) as refused:  # a leak beside the title or the story
            need = service.triage(referral, draft, actor=current_user)
            if form.publish_now.data:
                transitions.publish(need, actor=current_user)
        if not refused:
            flash(_("Need created.") + " " + need.status_label, "success")
            return redirect(url_for("referrals.referral_detail", referral_id=referral.id))
    return render_template(
        "referrals/detail.html", referral=referral, form=form, decline_form=DeclineForm(),
        wish_cap=settings.get("wish_cap_fen"),
    ), 400


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@roles_required(*STAFF)
def referral_decline(referral_id: int) -> str | Response:
    """Decline the referral; the reason goes back to the source."""
    referral = _referral_or_404(referral_id)
    form = DeclineForm()
    if form.validate_on_submit():
        with refusal() as refused:
            service.decline(referral, actor=current_user, reason=form.reason.data or "", code=form.code.data)
        if not refused:
            flash(_("Referral declined."), "success")
        return redirect(url_for("referrals.referral_detail", referral_id=referral.id))
    return render_template(
        "referrals/detail.html", referral=referral, decline_form=form,
        form=TriageForm.for_referral(referral, settings.get("claim_days")), wish_cap=settings.get("wish_cap_fen"),
    ), 400


OPEN = (NeedStatus.PUBLISHED, NeedStatus.CLAIMED, NeedStatus.DELIVERED)
_open_needs = (sa.select(sa.func.count(Need.id)).where(Need.household_id == Household.id, Need.status.in_(OPEN))
               .correlate(Household).scalar_subquery())
_last_help = (sa.select(sa.func.max(Need.closed_at)).where(Need.household_id == Household.id)
              .correlate(Household).scalar_subquery())
HOUSEHOLD_COLUMNS = (
    Column("household", _l("Household"), Household.id, lambda h: f"#{h.id} · {h.source} {h.external_id}"),
    Column("street", _l("Street"), Household.street_code, lambda h: h.place),
    Column("group", _l("Group"), Household.group, lambda h: taxonomy.HOUSEHOLD_GROUPS.get(h.group, h.group)),
    Column("category", _l("Assistance category"), Household.category,
           lambda h: taxonomy.HOUSEHOLD_CATEGORIES.get(h.category, h.category)),
    Column("members", _l("Members"), Household.members, lambda h: h.members),
    Column("open_needs", _l("Open needs"), _open_needs, lambda h: h.open_needs),
    Column("light", _l("Light"), Household.light, lambda h: taxonomy.LIGHT_LABELS.get(h.light or "", "")),
    Column("last_help", _l("Last help"), _last_help, lambda h: h.last_help_at),
)


def _households(q: str) -> tuple[sa.Select, dict[str, Any]]:
    """The region's households the filters choose (no personal data in the list)."""
    group, category = request.args.get("group", ""), request.args.get("category", "")
    query = (
        sa.select(Household).where(region_filter(current_user, Household.district_code, Household.street_code))
        .options(with_expression(Household.open_needs, _open_needs), with_expression(Household.last_help_at,
                                                                                     _last_help))
    )
    if group in taxonomy.HOUSEHOLD_GROUPS:
        query = query.where(Household.group == group)
    if category in taxonomy.HOUSEHOLD_CATEGORIES:
        query = query.where(Household.category == category)
    if request.args.get("light") in LIGHTS:
        query = query.where(Household.light == request.args["light"])
    if q:
        query = service.find_households(query, q, actor=current_user)
    query, sorting = sorted_by(query, HOUSEHOLD_COLUMNS, "-household", Household.id)
    return query, {"group": group, "category": category, "q": q, "sorting": sorting}


@bp.route("/households", methods=["GET", "POST"])
@roles_required(*STAFF)
def household_list() -> str:
    """Households of the region (no personal data in the list), filtered, sorted, with their open
    needs, light and last help.

    The search form posts (CSRF-protected) an exact name, phone, ID number or source id, so the
    value never stands in an address, a server log or the browser's history; each search is audited.
    """
    q = request.form.get("q", "").strip()[:60] if request.method == "POST" else ""
    query, filters = _households(q)
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("households/list.html", page=page, columns=HOUSEHOLD_COLUMNS, **filters)


@bp.route("/households/export.<fmt>")
@roles_required(*STAFF)
def household_export(fmt: str) -> Response:
    """The filtered households as CSV or XLSX: the list's columns, no personal data."""
    query, _filters = _households("")
    return listing.export(query, HOUSEHOLD_COLUMNS, fmt, "households",
                          back=url_for("referrals.household_list", **request.args))


def household_history(household: Household) -> list[AuditEvent]:
    """Everything recorded about the household (and those merged into it), its referrals and needs, oldest first."""
    household_ids = [str(household.id), *(str(i) for i in merge.merged_into(household.id))]
    need_ids = [str(n.id) for n in household.needs]
    referral_ids = [str(r.id) for r in household.referrals]
    query = sa.select(AuditEvent).where(
        sa.or_(
            sa.and_(AuditEvent.object_type == "households", AuditEvent.object_id.in_(household_ids)),
            sa.and_(AuditEvent.object_type == "needs", AuditEvent.object_id.in_(need_ids)),
            sa.and_(AuditEvent.object_type == "referrals", AuditEvent.object_id.in_(referral_ids)),
        )
    ).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def household_detail(household_id: int) -> str | Response:
    """A household's needs and history; personal data only after an explicit, audited "show".

    The number of a household merged into another leads to the kept one."""
    household = db.session.get(Household, household_id)
    if household is None:
        kept_id = identity.redirect_target(household_id)
        if kept_id is None:
            abort(404)
        return redirect(url_for("referrals.household_detail", household_id=kept_id))
    if not service.may_see_personal_data(current_user, household):
        abort(403)
    personal = None
    if request.method == "POST":  # the "show personal data" button (CSRF-protected)
        personal = service.reveal_personal_data(household, actor=current_user)
    return render_template("households/detail.html", household=household, personal=personal,
                           history=household_history(household))

