"""Sign-in and sign-out pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from marketplace.accounts import service
from marketplace.accounts.access import is_safe_next, public, roles_required
from marketplace.accounts.forms import LoginForm
from marketplace.accounts.models import Role
from marketplace.extensions import limiter

bp = Blueprint("auth", __name__)


def home_for(role: str) -> str:
    """Where each role lands after signing in."""
    endpoint = {
        Role.ADMIN: "admin.index",
        Role.STAFF: "staff.index",
        Role.ORG_MEMBER: "organisations.mine",
        Role.OUTLET_STAFF: "outlet.scan",  # outlet staff come to redeem meals
    }.get(role, "main.index")
    return url_for(endpoint)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _posted_email() -> str:
    return "login:" + service.normalise_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_posted_email)
def login() -> str | Response:
    """Sign in; a fresh session is started and `next` may only point at our own pages."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            lang = session.get("lang")
            session.clear()  # no state from before the sign-in survives it
            if lang:
                session["lang"] = lang
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else home_for(user.role))
        form.password.errors.append(_("Wrong email or password, or the account is disabled."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout() -> Response:
    """Sign out everywhere: the session version changes, so old cookies stop working."""
    service.sign_out(current_user._get_current_object())
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))
