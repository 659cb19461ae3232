"""Password pages: change your own, "forgot password" and the emailed link, and the admin's "send a link"."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from marketplace.accounts import passwords
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role, User
from marketplace.accounts.password_forms import ChangePasswordForm, ForgotPasswordForm, ResetPasswordForm
from marketplace.accounts.service import normalise_email
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.unit_of_work import refusal

bp = Blueprint("passwords", __name__)


def _config(name: str) -> str:
    return current_app.config[name]


def _client_and_email() -> str:
    """Forgot-password requests count per client address and email: asking in the owner's name from
    elsewhere never uses up the owner's own requests (and the links already sent keep working)."""
    return f"reset:{get_remote_address()}:{normalise_email(request.form.get('email', ''))[:254]}"


def _signed_in_account() -> str:
    return f"password-change:{current_user.id}"  # the account, whatever its session version


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
@limiter.limit(lambda: _config("PASSWORD_CHANGE_RATE_LIMIT"), methods=["POST"], key_func=_signed_in_account)
def change() -> str | Response:
    """Change your own password: the current one, then the new one twice; other sessions end."""
    user = current_user._get_current_object()
    form = ChangePasswordForm(account=user)
    if form.validate_on_submit():
        with refusal(show=lambda exc: _show_on(form, exc)) as refused:
            passwords.change(user, current=form.current_password.data, new=form.password.data)
        if not refused:
            login_user(user)  # this session follows the account to its new session version; the others end
            flash(_("Your password is changed. Every other session of your account was signed out, "
                    "and we sent you an email about it."), "success")
            return redirect(url_for("passwords.change"))
    return render_template("accounts/password_change.html", form=form)


def _show_on(form: ChangePasswordForm, exc: DomainError) -> None:
    field = form.current_password if isinstance(exc, passwords.WrongCurrentPassword) else form.password
    field.errors = [*field.errors, exc.message]


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _config("PASSWORD_RESET_CLIENT_RATE_LIMIT"), methods=["POST"])
@limiter.limit(lambda: _config("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"], key_func=_client_and_email)
def forgot() -> str | Response:
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.request_reset(form.email.data)
        flash(_("If an account has this email, we have sent it a link to choose a new password. "
                "The link works once, within 30 minutes."), "info")
        return redirect(url_for("auth.login"))
    return render_template("accounts/password_forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password through an emailed link (once, within 30 minutes)."""
    link = passwords.open_link(token)
    if link is None:
        return render_template("accounts/password_reset_invalid.html"), 410
    form = ResetPasswordForm(account=link.user)
    if form.validate_on_submit():
        with refusal(form.password) as refused:
            passwords.reset(token, form.password.data)
        if not refused:
            flash(_("Your new password is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/password_reset.html", form=form, email=link.user.email)


@bp.route("/admin/users/<int:user_id>/password-reset", methods=["POST"])
@roles_required(Role.ADMIN)
def admin_send(user_id: int) -> Response:
    """An admin emails a reset link to the account (audited)."""
    user = db.get_or_404(User, user_id)
    with refusal() as refused:
        passwords.send_reset(user, actor=current_user._get_current_object())
    if not refused:
        flash(_("A link to choose a new password was sent to %(email)s; it works once, within 30 minutes.",
                email=user.email), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
