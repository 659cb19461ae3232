"""The outlet's page: scan the QR (camera, where the browser can) or type the code; one big word back.

The page's script posts each code to `/outlet/redeem` and shows the JSON answer in place, so a
counter can scan voucher after voucher; without JavaScript the form posts to the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.access import checks_own_sign_in, public, refuse_sign_in, roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.sessions import session_account
from marketplace.db import read_phase
from marketplace.extensions import db, limiter
from marketplace.meals import codes, redemption, reports, timing
from marketplace.meals.forms import RedeemForm
from marketplace.meals.models import Outlet
from marketplace.organisations.models import Organisation, OrgStatus

bp = Blueprint("outlet", __name__, url_prefix="/outlet")


@dataclass(frozen=True)
class ShownOutlet:
    """The outlet as its page shows it."""

    id: int
    name: str
    hours: str


# Built once: the outlet of this account, of its own company, the company approved.
MY_OUTLET = (
    sa.select(Outlet.id, Outlet.name, Outlet.serves_from, Outlet.serves_until)
    .join(Organisation, Organisation.id == Outlet.organisation_id)
    .where(Outlet.id == sa.bindparam("outlet"), Outlet.organisation_id == sa.bindparam("org"),
           Organisation.status == OrgStatus.APPROVED)
)


def _my_outlet() -> ShownOutlet | None:
    """The outlet this account redeems at (one query), or None."""
    if current_user.outlet_id is None:
        return None
    row = db.session.connection().execute(
        MY_OUTLET, {"outlet": current_user.outlet_id, "org": current_user.organisation_id}
    ).first()
    return ShownOutlet(row.id, row.name, f"{row.serves_from:%H:%M}–{row.serves_until:%H:%M}") if row else None


WORDS = {"valid": lambda: _("Valid"), "used": lambda: _("Already used"), "invalid": lambda: _("Invalid")}


def _as_json(result: Any, counts: Any) -> dict[str, Any]:
    """What the page's script shows: the word, why, and the day's counts (counts only)."""
    answer: dict[str, Any] = {"counts": counts and {k: getattr(counts, k) for k in
                                                    ("pledged", "booked", "redeemed", "waiting")}}
    if result is not None:
        when = result.redeemed_at.astimezone(timing.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") \
            if result.redeemed_at else ""
        message = {"valid": _("Serve the meal. It is now marked as used."),
                   "used": _("Already redeemed at %(time)s.", time=when)}.get(result.outcome, str(result.reason))
        answer.update(result=str(result.outcome), word=WORDS[result.outcome](), message=message)
    return answer


def _page(form: RedeemForm, result: Any = None) -> str:
    """The outlet's page, with the answer to the last scan if there was one.

    Rendered as a plain reader after the scan's redemption is committed (`read_phase`): on SQLite,
    rendering under the write lock made every other counter's scan wait for it (docs/BENCHMARKS.md).
    """
    if current_app.config.get("MEAL_OUTLET_PAGE") == "one":  # scripts/bench_meals.py --compare page
        return _render(form, result)
    with read_phase():
        return _render(form, result)


def _render(form: RedeemForm, result: Any) -> str:
    """The page itself: the outlet, the answer, the day's counts."""
    outlet = _my_outlet()
    counts = None
    if outlet is not None:  # a scan brought its day's counts; a bare page reads them
        counts = result.counts if result and result.counts else reports.outlet_day(
            outlet.id, timing.local_date(timing.now()))
    return render_template("meals/outlet_scan.html", outlet=outlet, form=form,
                           answer=_as_json(result, counts), counts=counts)


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.OUTLET_STAFF)
def scan() -> str:
    """The page: scan or type a code; without JavaScript the form posts here and the page answers."""
    form = RedeemForm()
    if not form.validate_on_submit():
        return _page(form)
    result = redemption.redeem(form.code.data, counter=current_user, now=timing.now())
    form.code.data = ""
    return _page(form, result)


@bp.route("/redeem", methods=["POST"])
@limiter.exempt  # nothing to limit: every scan is a counter's, and each code redeems once
@checks_own_sign_in(Role.OUTLET_STAFF)
def redeem() -> Response:
    """The scanner's endpoint (the page's script posts here): valid, already used (and when), or
    invalid (and why), with the day's counts, as JSON.

    Built for a busy counter: the sign-in is checked inside the redemption's own statement instead of
    being loaded first, and the code is read straight from the form (CSRF is checked for every POST).
    """
    account = session_account()
    if account is None:
        return refuse_sign_in(Role.OUTLET_STAFF)
    result = redemption.redeem(request.form.get("code", ""), counter=account, now=timing.now())
    if not result.counter_live:  # nothing was redeemed: the statement checked the sign-in first
        return refuse_sign_in(Role.OUTLET_STAFF)
    return jsonify(_as_json(result, result.counts))


@bp.route("/r/<code>")
@public
def scan_code(code: str) -> str:
    """Where a voucher's QR leads a phone camera: for outlet staff the code filled in, one tap to redeem;
    for anyone else a word on what the code is."""
    shown = codes.display(codes.normalise(code[:40]))
    if not (current_user.is_authenticated and current_user.role == Role.OUTLET_STAFF):
        return render_template("meals/qr_landing.html", code=shown)
    return _page(RedeemForm(formdata=None, code=shown))
