"""Sign-in and sign-out pages."""

from __future__ import annotations

from flask import (
    Blueprint,
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

from marketplace.accounts import pending, service, sessions, throttle
from marketplace.accounts.access import is_safe_next, public, roles_required
from marketplace.accounts.forms import LoginForm
from marketplace.accounts.models import Role, User

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


def client_address() -> str:
    """The client's address (the real one behind PROXY_COUNT trusted proxies, see web.trust_proxies)."""
    return request.remote_addr or ""


def finish_sign_in(user: User, target: str, *, second_factor: str = "") -> Response:
    """Open the session of an account past every step of its sign-in; `next` may only be our own page."""
    service.signed_in(user, client=client_address(), second_factor=second_factor)
    sessions.restart_session()
    login_user(user)
    session[sessions.SECOND_FACTOR] = second_factor or "password"
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(target if is_safe_next(target) else home_for(user.role))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | tuple[str, int, dict[str, str]] | Response:
    """Sign in with email and password, then the second factor where the account has one."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, client=client_address())
        except throttle.Throttled as refused:
            return render_template("auth/login.html", form=form, refused=refused), 429, retry_after(refused)
        if user is not None:
            return pending.after_password(user, form.next.data) or finish_sign_in(user, form.next.data)
        form.password.errors.append(_("Wrong email or password, or the account is disabled."))
    return render_template("auth/login.html", form=form)


def retry_after(refused: throttle.Throttled) -> dict[str, str]:
    """The header that tells a client when to try again."""
    return {"Retry-After": str(refused.seconds)}


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout() -> Response:
    """Sign out everywhere: the session version changes, so old cookies stop working."""
    service.sign_out(current_user._get_current_object())
    logout_user()
    sessions.restart_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))
