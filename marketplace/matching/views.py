"""Recommendations on the organisation's home, its offers, and staff routing needs as offers.

The organisation's home (organisations.mine) and the need's staff page (staff_needs.need_detail) ask
this blueprint's template helpers for what to show, so neither package imports matching.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard
from marketplace.extensions import db
from marketplace.matching import offers, recommend, suggest
from marketplace.matching.forms import AcceptForm, ActionForm, DeclineForm, RouteForm
from marketplace.matching.models import Offer
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation
from marketplace.paging import cursor_arg, paginate
from marketplace.unit_of_work import refusal

bp = Blueprint("matching", __name__)
STAFF = (Role.STAFF, Role.ADMIN)


def _home(org: Organisation) -> dict[str, Any]:
    """What the organisation's home shows first: its open offers and its recommendations."""
    now = clock.now()
    return {"offers": offers.open_for(org.id), "recommendations": recommend.for_organisation(org, now),
            "form": ActionForm(), "now": now, "offer_light": offers.light}


def _need_panel(need: Need) -> dict[str, Any]:
    """The staff page's routing panel: the need's offers and the suggested organisations."""
    now = clock.now()
    routable = offers.routable(need, now)  # suggestions cost a query over organisations: only when they are used
    return {"offers": offers.of_need(need.id), "routable": routable,
            "suggestions": suggest.suggestions(need, now) if routable else [], "route_form": RouteForm(),
            "form": ActionForm(), "now": now, "offer_light": offers.light,
            "may_cancel": lambda offer: offers.may_cancel(offer, current_user)}


bp.app_context_processor(lambda: {"matching_home": _home, "matching_need_panel": _need_panel})


def _member_offer_or_404(offer_id: int) -> Offer:
    offer = db.get_or_404(Offer, offer_id)
    if offer.organisation_id != current_user.organisation_id:
        abort(404)
    return offer


@bp.route("/org/recommendations/<int:need_id>/dismiss", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def dismiss(need_id: int) -> Response:
    """"Not for us": the need leaves this organisation's recommendations."""
    need = db.get_or_404(Need, need_id)
    if ActionForm().validate_on_submit():
        with refusal() as refused:
            recommend.dismiss(need, actor=current_user)
        if not refused:
            flash(_("“%(title)s” will not be recommended to you again.", title=need.title), "success")
    return redirect(url_for("organisations.mine"))


@bp.route("/org/offers/<int:offer_id>")
@roles_required(Role.ORG_MEMBER)
def offer_detail(offer_id: int) -> str:
    """One offer to the organisation: the need's public story, the deadline, accept or decline."""
    offer = _member_offer_or_404(offer_id)
    return _offer_page(offer)


def _offer_page(offer: Offer, accept_form: AcceptForm | None = None,
                decline_form: DeclineForm | None = None) -> str:
    now = clock.now()
    need = offer.need
    return render_template(
        "matching/offer.html", offer=offer, need=need, now=now, light=offers.light(offer, now),
        may_answer=offers.may_answer(offer, current_user, now),
        accept_form=accept_form or AcceptForm(formdata=None, promised_by=need.fulfil_by),
        decline_form=decline_form or DeclineForm(formdata=None))


@bp.route("/org/offers/<int:offer_id>/accept", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def accept(offer_id: int) -> str | Response:
    """Accept: the need becomes the organisation's claim."""
    offer = _member_offer_or_404(offer_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _offer_page(offer, accept_form=form)
    with refusal() as refused:
        offers.accept(offer, actor=current_user, promised_by=form.promised_by.data,
                      quantity=form.quantity.data if offer.need.quantity > 1 else None)
    if refused:
        return redirect(url_for("matching.offer_detail", offer_id=offer.id))
    flash(_("Accepted: the need is now your claim. Deliver by %(date)s and add a photo or receipt.",
            date=form.promised_by.data.isoformat()), "success")
    return redirect(url_for("needs.detail", need_id=offer.need_id))


@bp.route("/org/offers/<int:offer_id>/decline", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def decline(offer_id: int) -> str | Response:
    """Decline with a coded reason; the region's staff are told."""
    offer = _member_offer_or_404(offer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _offer_page(offer, decline_form=form)
    with refusal() as refused:
        offers.decline(offer, actor=current_user, reason=form.reason.data, text=form.text.data or "")
    if refused:
        return redirect(url_for("matching.offer_detail", offer_id=offer.id))
    flash(_("Declined. Thank you for answering: staff will find another helper."), "success")
    return redirect(url_for("organisations.mine"))


@bp.route("/staff/needs/<int:need_id>/offers", methods=["POST"])
@roles_required(*STAFF)
def route(need_id: int) -> Response:
    """Route the need to one organisation as an offer with the deadline of the settings."""
    need = guard(db.get_or_404(Need, need_id))
    form = RouteForm()
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation_id.data) if 0 < form.organisation_id.data < 2**31 \
            else None
        with refusal() as refused:
            offer = offers.route(need, organisation=org, actor=current_user)
        if not refused:
            flash(_("Offer sent to %(name)s: they answer by %(date)s.", name=offer.organisation.name,
                    date=clock.local(offer.due_at).strftime("%Y-%m-%d %H:%M")), "success")
    else:
        flash(_("Choose an organisation."), "error")
    return redirect(url_for("staff_needs.need_detail", need_id=need.id) + "#offers")


@bp.route("/staff/offers/<int:offer_id>/cancel", methods=["POST"])
@roles_required(*STAFF)
def cancel(offer_id: int) -> Response:
    """Withdraw an offer still waiting for its answer."""
    offer = db.get_or_404(Offer, offer_id)
    guard(offer.need)
    if ActionForm().validate_on_submit():
        with refusal() as refused:
            offers.cancel(offer, actor=current_user)
        if not refused:
            flash(_("Offer cancelled; the need stays open for claims."), "success")
    return redirect(url_for("staff_needs.need_detail", need_id=offer.need_id) + "#offers")


@bp.route("/staff/offers/to-route")
@roles_required(*STAFF)
def to_route() -> str:
    """Needs of the region waiting for an offer: published a day or more, unclaimed, none out; the
    longest waiting first (the work queue's section, in full)."""
    query = offers.to_route_query(current_user, clock.now()).options(joinedload(Need.district),
                                                                    joinedload(Need.street))
    return render_template("matching/to_route.html", page=paginate(query, per_page=30, cursor=cursor_arg()))


@bp.route("/staff/offers/unanswered")
@roles_required(*STAFF)
def unanswered() -> str:
    """Offers of the region still waiting for their answer past the yellow threshold, oldest first."""
    now = clock.now()
    # Each row names the need's street or district and the organisation: joined in, not read row by row.
    need = joinedload(Offer.need)
    query = offers.unanswered_query(current_user, now).options(
        need.joinedload(Need.district), need.joinedload(Need.street), joinedload(Offer.organisation))
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("matching/unanswered.html", page=page, now=now, offer_light=offers.light)
