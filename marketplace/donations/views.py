"""Giving pages (project or district general fund), the payment page, thanks, the webhook, refunds."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.wrappers import Response

from marketplace import listing, money
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.donations import points as _points  # noqa: F401  (registers the leaderboard sources)
from marketplace.donations import service
from marketplace.donations.forms import GiveForm
from marketplace.donations.models import STATUS_LABELS, Donation, DonationStatus
from marketplace.extensions import csrf, db
from marketplace.listing import Column, sorted_by
from marketplace.paging import cursor_arg, paginate
from marketplace.projects.models import Project
from marketplace.projects.views import fen
from marketplace.regions import service as regions
from marketplace.regions.models import Region
from marketplace.unit_of_work import follow_up, refusal
from marketplace.web import CSP

bp = Blueprint("donations", __name__)
# Pages of other features (a project's page) ask whether online giving is on without importing this one.
bp.app_context_processor(lambda: {"online_giving": service.enabled})
bp.context_processor(lambda: {"DonationStatus": DonationStatus})  # the thanks page names states by their enum


def _give(project: Project | None, district: Region) -> str | Response:
    form = GiveForm()
    if service.enabled() and form.validate_on_submit():
        with refusal() as refused:
            donation = service.start(project=project, district_code=district.code, amount_fen=fen(form.amount.data),
                                     donor_name=form.donor_name.data or "", show_name=form.show_name.data,
                                     email=form.email.data or "")
        if not refused:
            return redirect(url_for("donations.pay_page", token=donation.token))
    room = project.giving_room_fen if project else service.MAX_GENERAL_FEN
    return render_template("donations/give.html", form=form, project=project, district=district,
                           giving=service.enabled(), room=room, fund_fen=service.general_fund_fen(district.code))


@bp.route("/projects/<int:project_id>/give", methods=["GET", "POST"])
@public
def give_project(project_id: int) -> str | Response:
    """Give money to a renovation project (at most what it still needs)."""
    project = db.get_or_404(Project, project_id)
    return _give(project, project.district)


@bp.route("/districts/<code>/give", methods=["GET", "POST"])
@public
def give_district(code: str) -> str | Response:
    """Give money to a district's general fund."""
    district = db.session.get(Region, code[:12])
    if district is None or district.level != "district":
        abort(404)
    return _give(None, district)


def _donation(token: str) -> Donation:
    donation = db.session.scalar(sa.select(Donation).where(Donation.token == token[:32]))
    if donation is None:
        abort(404)
    return donation


def _stripe_origin() -> str:
    parts = urlsplit(current_app.config.get("STRIPE_JS_URL") or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@bp.route("/donations/<token>/pay")
@public
def pay_page(token: str) -> str | Response:
    """Stripe's Payment Element on our page; only Stripe.js's own origin is added to the CSP."""
    donation = _donation(token)
    if donation.status != "created" or donation.payment_intent_id or not service.enabled():
        return redirect(url_for("donations.thanks", token=token))
    html = render_template("donations/pay.html", donation=donation, stripe_js=current_app.config["STRIPE_JS_URL"],
                           publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"])
    response = current_app.make_response(html)
    origin = _stripe_origin()
    response.headers["Content-Security-Policy"] = CSP.replace(
        "script-src 'self'", f"script-src 'self' {origin}"
    ) + f"; frame-src {origin}; connect-src 'self' {origin}"
    return response


@bp.route("/donations/<token>/pay", methods=["POST"])
@public
def pay(token: str) -> Response | tuple[Response, int]:
    """Create and confirm the PaymentIntent with the payment method the page made (JSON in and out)."""
    donation = _donation(token)
    payment_method = str((request.get_json(silent=True) or {}).get("payment_method") or "")[:100]
    if not service.enabled() or not payment_method:
        return jsonify(error=_("Online giving is off.") if not service.enabled() else _("Enter your card.")), 400
    try:
        intent = service.pay(donation, payment_method)
    except service.DonationError as exc:
        return jsonify(error=exc.message), 402 if isinstance(exc, service.PaymentRefused) else 409
    return jsonify(status=intent.status, client_secret=intent.client_secret,
                   next=url_for("donations.thanks", token=token))


@bp.route("/donations/<token>")
@public
def thanks(token: str) -> str:
    """Thank-you page: the state the webhook last recorded."""
    return render_template("donations/thanks.html", donation=_donation(token))


@bp.route("/stripe/webhook", methods=["POST"])
@public
@csrf.exempt
def webhook() -> tuple[str, int]:
    """Stripe's events, verified on the raw body; each applied once, in one transaction."""
    try:
        event = service.verify(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except service.WebhookError:
        return "bad signature", 400
    outcome = service.apply_event(event)
    if outcome == "applied":
        intent_id = (event["data"].get("object") or {}).get("id")
        # After the event's commit, in a unit of its own: a mail failure must not undo the payment.
        follow_up(lambda _response: service.send_receipt_for(intent_id))
    return outcome, 200


DONATION_COLUMNS = (
    Column("when", _l("When"), Donation.created_at, lambda d: d.created_at),
    Column("for", _l("For"), None, lambda d: d.project.title if d.project else d.district.name),
    Column("district", _l("District"), Donation.district_code, lambda d: d.district.name),
    Column("amount", _l("Amount"), Donation.amount_fen, lambda d: money.show(d.amount_fen)),
    Column("fund", _l("General fund"), Donation.general_fund_fen, lambda d: money.show(d.general_fund_fen)),
    Column("donor", _l("Donor"), None, lambda d: d.public_name),
    Column("status", _l("Status"), Donation.status, lambda d: d.status_label),
    Column("paid", _l("Paid"), Donation.succeeded_at, lambda d: d.succeeded_at),
    Column("refunded", _l("Refunded"), Donation.refunded_at, lambda d: d.refunded_at),
)


def _donations() -> tuple[sa.Select, dict[str, Any]]:
    """Donations the filters choose (status, district, a project title or a shown donor name); by
    default the newest first. A donor who gave anonymously is not found by name."""
    status = request.args.get("status", "")
    district = request.args.get("district", "")[:12]
    q = request.args.get("q", "").strip()[:60]
    # The rows' project and district come with them: an export of thousands reads no row twice.
    query = (sa.select(Donation).outerjoin(Donation.project)
             .options(contains_eager(Donation.project), selectinload(Donation.district)))
    if status in STATUS_LABELS:
        query = query.where(Donation.status == status)
    districts = [(r.code, r.name) for r in regions.districts()]
    if district in dict(districts):
        query = query.where(Donation.district_code == district)
    if q:
        shown_name = sa.and_(Donation.show_name.is_(True), Donation.donor_name.contains(q, autoescape=True))
        query = query.where(sa.or_(Project.title.contains(q, autoescape=True), shown_name))
    query, sorting = sorted_by(query, DONATION_COLUMNS, "-when", Donation.id)
    return query, {"status": status, "district": district, "districts": districts, "q": q, "sorting": sorting}


@bp.route("/admin/donations")
@roles_required(Role.ADMIN)
def admin_list() -> str:
    """Every donation, newest first, with refund buttons."""
    query, filters = _donations()
    page = paginate(query, per_page=50, cursor=cursor_arg())
    return render_template("donations/admin_list.html", page=page, labels=STATUS_LABELS, columns=DONATION_COLUMNS,
                           **filters)


@bp.route("/admin/donations/export.<fmt>")
@roles_required(Role.ADMIN)
def admin_export(fmt: str) -> Response:
    """The filtered donations as CSV or XLSX, in the page's order (no email addresses)."""
    query, _filters = _donations()
    return listing.export(query, DONATION_COLUMNS, fmt, "donations",
                          back=url_for("donations.admin_list", **request.args))


@bp.route("/admin/donations/<int:donation_id>/refund", methods=["POST"])
@roles_required(Role.ADMIN)
def refund(donation_id: int) -> Response:
    """Refund a received gift through Stripe; it stops counting on the project and the leaderboard."""
    donation = db.get_or_404(Donation, donation_id)
    with refusal() as refused:
        service.refund(donation, actor=current_user)
    if not refused:
        flash(_("The gift is refunded."), "success")
    return redirect(url_for("donations.admin_list"))
