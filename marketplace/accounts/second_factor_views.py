"""The second factor's pages: the sign-in's code step, enrolment, the owner's page, an admin's reset.

A sign-in that needs a second step is held by `pending` until the code (or the enrolment) passes;
`finish_sign_in` then opens the session. When REQUIRE_SECOND_FACTOR is on, a staff or admin
session that did not pass a second factor (opened before the setting, say) is ended by `guard`.
"""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from marketplace.accounts import pending, second_factor, sessions, throttle
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role, User
from marketplace.accounts.second_factor_forms import SignInCodeForm, TotpCodeForm
from marketplace.accounts.views import client_address, finish_sign_in, home_for, retry_after
from marketplace.extensions import db
from marketplace.unit_of_work import refusal

bp = Blueprint("second_factor", __name__)
CANDIDATE = "second_factor_candidate"  # the secret being enrolled, until a code confirms it
PASSED = {"totp", "recovery", "enrolled", "not_needed"}


@bp.app_context_processor
def _templates() -> dict[str, object]:
    """Templates ask the domain about an account's factor (the admin's account page)."""
    return {"second_factor_status": second_factor.status, "may_have_second_factor": second_factor.may_enrol}


@bp.after_request
def _not_kept(response: Response) -> Response:
    """These pages show secrets and recovery codes: no browser or proxy cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_app_request
def guard() -> Response | None:
    """With the factor required, a staff or admin session that did not pass one is signed out."""
    if not current_app.config.get("REQUIRE_SECOND_FACTOR") or session.get(sessions.SECOND_FACTOR) in PASSED:
        return None
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    if not second_factor.may_enrol(current_user):
        session[sessions.SECOND_FACTOR] = "not_needed"
        return None
    logout_user()
    sessions.restart_session()
    flash(_("Sign in again: staff and admins now sign in with a second factor."), "info")
    return redirect(url_for("auth.login"))


def _nothing_pending() -> Response:
    """Where the second step's pages send a visitor who has no sign-in waiting there."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@public  # the second step of a sign-in: only a session holding a right password gets past it
def code() -> str | tuple[str, int, dict[str, str]] | Response:
    """Type a code from the app (or a recovery code) to finish signing in."""
    held = pending.current(second_factor.CODE)
    if held is None:
        return _nothing_pending()
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            method = second_factor.use_code(held.user, form.code.data, client=client_address())
        except throttle.Throttled as refused:
            return render_template("auth/code.html", form=form, refused=refused), 429, retry_after(refused)
        if method is not None:
            if method == "recovery":
                flash(_("You used a recovery code: each one works once."), "info")
            return finish_sign_in(held.user, held.target, second_factor=method)
        form.code.errors.append(_("Wrong code, or a code that was already used."))
    return render_template("auth/code.html", form=form)


def _enrolling() -> tuple[User, pending.Pending | None] | None:
    """Who is enrolling: a sign-in held for enrolment, or a signed-in staff member or admin."""
    held = pending.current(second_factor.ENROL)
    if held is not None:
        return held.user, held
    if current_user.is_authenticated:
        if not second_factor.may_enrol(current_user):
            abort(403)
        return current_user._get_current_object(), None
    return None


def _candidate(user: User) -> str:
    """The secret shown to this account until a code confirms it (kept in its session meanwhile)."""
    kept = session.get(CANDIDATE)
    if isinstance(kept, dict) and kept.get("user") == user.id and isinstance(kept.get("secret"), str):
        return kept["secret"]
    secret = second_factor.new_secret()
    session[CANDIDATE] = {"user": user.id, "secret": secret}
    return secret


def qr_svg(uri: str) -> Markup:
    """The enrolment's QR code as inline SVG."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", omitsize=True,
                                                 title=_("QR code for your authenticator app"))
    return Markup(svg)  # segno writes the markup; the title is escaped by it


@bp.route("/account/second-factor/setup", methods=["GET", "POST"])
@public  # a sign-in held for enrolment may open it; otherwise signed-in staff and admins only
def setup() -> str | Response:
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a code."""
    enrolling = _enrolling()
    if enrolling is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    user, held = enrolling
    secret = _candidate(user)
    form = TotpCodeForm()
    if form.validate_on_submit():
        with refusal(form.code) as refused:
            codes = second_factor.enrol(user, secret, form.code.data)
        if not refused:
            session.pop(CANDIDATE, None)
            if held is None:
                session[sessions.SECOND_FACTOR] = "enrolled"  # this session now holds the factor it set up
                return render_template("auth/recovery_codes.html", codes=codes, onward=url_for(".manage"))
            onward = finish_sign_in(user, held.target, second_factor="enrolled")
            return render_template("auth/recovery_codes.html", codes=codes, onward=onward.location)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/second_factor_setup.html", form=form, secret=grouped, held=held is not None,
                           qr=qr_svg(second_factor.provisioning_uri(user, secret)),
                           replacing=second_factor.factor_of(user) is not None)


@bp.route("/account/second-factor")
@roles_required(Role.ADMIN, Role.STAFF)
def manage() -> str:
    """The owner's page: since when the factor is set up, recovery codes left, set up again, turn off."""
    user = current_user._get_current_object()
    return render_template("auth/second_factor.html", status=second_factor.status(user), form=TotpCodeForm(),
                           required=second_factor.is_required(user))


@bp.route("/account/second-factor/disable", methods=["POST"])
@roles_required(Role.ADMIN, Role.STAFF)
def disable() -> Response:
    """Turn the factor off with a current code (only where the setting does not require it)."""
    form = TotpCodeForm()
    if form.validate_on_submit():
        with refusal() as refused:  # a wrong code, or one while the throttle makes this client wait
            second_factor.disable(current_user._get_current_object(), form.code.data, client=client_address())
        if not refused:
            flash(_("The second factor is off."), "success")
    return redirect(url_for(".manage"))


@bp.route("/admin/users/<int:user_id>/second-factor/reset", methods=["POST"])
@roles_required(Role.ADMIN)
def reset(user_id: int) -> Response:
    """An admin removes an account's factor (a lost phone); the account enrols again at its next sign-in."""
    user = db.get_or_404(User, user_id)
    with refusal() as refused:
        second_factor.reset(user, actor=current_user._get_current_object())
    if not refused:
        flash(_("The second factor of %(email)s was reset; its sessions ended.", email=user.email), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
