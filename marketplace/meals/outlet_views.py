"""The outlet's page: scan the QR (camera, where the browser can) or type the code; one big word back.

The page's script sends the form with `Accept: application/json` and shows the answer in place, so a
counter can scan voucher after voucher; without JavaScript the same form posts and the page reloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.db import read_phase
from marketplace.extensions import db
from marketplace.meals import codes, reports, timing, vouchers
from marketplace.meals.forms import RedeemForm
from marketplace.meals.models import Outlet
from marketplace.organisations.models import Organisation, OrgStatus

bp = Blueprint("outlet", __name__, url_prefix="/outlet")


@dataclass(frozen=True)
class Counter:
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


def _my_outlet() -> Counter | None:
    """The outlet this account redeems at (one query), or None."""
    if current_user.outlet_id is None:
        return None
    row = db.session.connection().execute(
        MY_OUTLET, {"outlet": current_user.outlet_id, "org": current_user.organisation_id}
    ).first()
    return Counter(row.id, row.name, f"{row.serves_from:%H:%M}–{row.serves_until:%H:%M}") if row else None


@bp.before_request
def _read_before_writing() -> None:
    """SQLite: read the sign-in and its outlet as a plain reader, so the only write lock a scan takes
    covers its UPDATE, its audit row and the day's counts. (A POST otherwise takes the lock at its
    first query, the sign-in's, and holds it through everything the request does.)"""
    if request.method != "POST" or db.engine.dialect.name != "sqlite":
        return
    db.session().expire_on_commit = False  # the user and outlet stay loaded after the read phase ends
    with read_phase():
        if current_user.is_authenticated and current_user.role == Role.OUTLET_STAFF:
            g.meal_outlet = _my_outlet()


def _commit_keeping_values() -> None:
    """Commit, but keep what was loaded, so the answer renders without touching the database again.

    On SQLite a POST's transaction takes the write lock at BEGIN: a read after the commit (an expired
    attribute reloading) would open a new writing transaction, held until the request ends.
    """
    session = db.session()
    session.expire_on_commit = False  # this request's session only; it is discarded at teardown
    session.commit()


def _answer(outlet: Counter | None, form: RedeemForm, result: Any = None) -> str | Response:
    now = timing.now()
    counts = reports.outlet_day(outlet.id, timing.local_date(now)) if outlet else None
    _commit_keeping_values()
    answer = _as_json(result, counts)
    if request.accept_mimetypes.best == "application/json":
        answer["errors"] = [str(e) for errors in form.errors.values() for e in errors]
        return jsonify(answer)
    with read_phase():  # the page's own reads (the header's notifications) take no write lock
        return render_template("meals/outlet_scan.html", outlet=outlet, form=form, answer=answer, counts=counts)


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


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.OUTLET_STAFF)
def scan() -> str | Response:
    """Redeem a voucher: valid, already used (and when), or invalid (and why)."""
    outlet = g.meal_outlet if "meal_outlet" in g else _my_outlet()
    form = RedeemForm()
    if outlet is None or not form.validate_on_submit():
        return _answer(outlet, form)
    result = vouchers.redeem(form.code.data, outlet_id=outlet.id, actor=current_user, now=timing.now())
    form.code.data = ""
    return _answer(outlet, form, result)


@bp.route("/r/<code>")
@public
def scan_code(code: str) -> str | Response:
    """Where a voucher's QR leads a phone camera: for outlet staff the code filled in, one tap to redeem;
    for anyone else a word on what the code is."""
    shown = codes.display(codes.normalise(code[:40]))
    if not (current_user.is_authenticated and current_user.role == Role.OUTLET_STAFF):
        return render_template("meals/qr_landing.html", code=shown)
    return _answer(_my_outlet(), RedeemForm(formdata=None, code=shown))
