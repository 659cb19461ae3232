"""Changing and resetting passwords (all audited): one's own change, emailed single-use reset links
that expire in 30 minutes, the link an admin sends, and the note to an owner whose email someone
tried to register again.

A reset token is 32 random bytes shown once, in the email; the table keeps only its keyed hash.
Using a link is one conditional UPDATE (`used_at IS NULL` and not expired), so of two submissions of
the same link exactly one wins. A new password, by link or by change, ends every session of the
account and every other open link. Asking for a link never ends the links already sent, so nobody
can spoil the owner's link by asking again in their name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import clock, mailer
from marketplace.accounts import password_rule
from marketplace.accounts.models import Role, User
from marketplace.accounts.password_models import PasswordReset
from marketplace.accounts.service import end_sessions, find_by_email
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db

RESET_LIFETIME = timedelta(minutes=30)
# Open links per account at once: more requests get the same answer but send nothing more, so a
# stranger cannot flood the owner's inbox, and the links already sent keep working.
MAX_OPEN_LINKS = 5


class PasswordError(DomainError):
    """A password change or reset was refused; the message says why."""


class WrongCurrentPassword(PasswordError):
    """The password typed as the current one is not it."""


def token_hash(token: str) -> str:
    """The only form in which a reset token is stored: HMAC-SHA256 with HASH_KEY, for this purpose."""
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"password_reset:{token}".encode(), hashlib.sha256).hexdigest()


def hash_like_an_account(password: str) -> None:
    """Spend the time creating an account's password hash costs, to keep answers alike in timing."""
    User().set_password(password or "-")  # the same method and cost as a real account's


def change(user: User, *, current: str, new: str) -> None:
    """The signed-in user changes their own password; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise WrongCurrentPassword(_l("This is not your current password."))
    if current == new:
        raise PasswordError(_l("Choose a password different from the current one."))
    password_rule.check(new, email=user.email, name=user.display_name)
    _set_password(user, new)
    audit.record("account.password_change", actor=user, obj=user)


def request_reset(email: str) -> None:
    """"Forgot password": email a link if an enabled account has this address; otherwise nothing.

    The caller answers the same either way.
    """
    user = find_by_email(email)
    if user is None or not user.is_enabled or _open_links(user) >= MAX_OPEN_LINKS:
        return
    _send_link(user, sent_by=None)
    audit.record("account.password_reset_request", actor=None, actor_label="anonymous", obj=user)


def send_reset(user: User, *, actor: User) -> None:
    """An admin emails a reset link to an account (the owner forgot, or must choose a new password)."""
    if actor.role != Role.ADMIN:
        raise PasswordError(_l("only an admin can send a reset link"))
    if not user.is_enabled:
        raise PasswordError(_l("The account is disabled: enable it before sending a reset link."))
    link = _send_link(user, sent_by=actor)
    audit.record("account.password_reset_send", actor=actor, obj=user,
                 after={"expires_at": link.expires_at.isoformat(timespec="seconds")})


def open_link(token: str) -> PasswordReset | None:
    """The reset link this token opens, while it is unused and unexpired; else None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= clock.now() or not link.user.is_enabled:
        return None
    return link


def reset(token: str, password: str) -> User:
    """Set a new password through an emailed link; the link works once, then every link dies."""
    link = open_link(token)
    if link is None:
        raise PasswordError(_l("This link has expired or was already used. Ask for a new one."))
    user = link.user
    password_rule.check(password, email=user.email, name=user.display_name)
    now = clock.now()
    used = db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # another submission of the same link got there first
        raise PasswordError(_l("This link has expired or was already used. Ask for a new one."))
    _set_password(user, password)
    audit.record("account.password_reset", actor=user, obj=user,
                 after={"link_sent_by": "admin" if link.sent_by_id else "owner"})
    return user


def warn_of_registration(user: User) -> None:
    """Someone registered with an email that has an account: tell the owner, create nothing."""
    with _mail_locale():
        body = _(
            "Someone tried to register an organisation on Shanlian with this email address. No new "
            "account was created.\n\nIf it was you: you already have an account. Sign in at %(login)s, "
            "or choose a new password at %(forgot)s.\nIf it was not you, you can ignore this email.",
            login=public_url("auth.login"), forgot=public_url("passwords.forgot"),
        )
        mailer.post(mailer.message(user.email, _("Shanlian: someone tried to register with your email"), body))
    audit.record("account.registration_existing_email", actor=None, actor_label="anonymous", obj=user)


def public_url(endpoint: str, **values: object) -> str:
    """An absolute link for an email: on PUBLIC_URL when configured (never on a Host header a
    stranger could choose), else on the address of the current request."""
    base = current_app.config.get("PUBLIC_URL") or ""
    if not has_request_context():  # a command line or a job: build the path as a request would
        with current_app.test_request_context(base_url=base or "http://localhost/"):
            return url_for(endpoint, _external=True, **values)
    return (base or request.url_root).rstrip("/") + url_for(endpoint, **values)


def _set_password(user: User, password: str) -> None:
    """Store the new password, end every session and every open reset link, and tell the owner."""
    now = clock.now()
    user.set_password(password)
    end_sessions(user)
    db.session.execute(
        sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    with _mail_locale():
        body = _(
            "The password of your Shanlian account %(email)s was changed on %(when)s, and every session "
            "of the account was signed out.\n\nIf you did not do this, choose a new password at "
            "%(forgot)s at once and tell your administrator.",
            email=user.email, when=format_datetime(now, "yyyy-MM-dd HH:mm"), forgot=public_url("passwords.forgot"),
        )
        mailer.post(mailer.message(user.email, _("Shanlian: your password was changed"), body))


def _send_link(user: User, *, sent_by: User | None) -> PasswordReset:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = PasswordReset(user_id=user.id, token_hash=token_hash(token), created_at=now,
                         expires_at=now + RESET_LIFETIME, sent_by_id=sent_by.id if sent_by else None)
    db.session.add(link)
    db.session.flush()
    values = {"email": user.email, "minutes": int(RESET_LIFETIME.total_seconds() // 60),
              "link": public_url("passwords.reset", token=token)}
    with _mail_locale():
        if sent_by is not None:
            body = _(
                "An administrator of Shanlian sent you a link to choose a new password for your account "
                "%(email)s.\n\nOpen it within %(minutes)s minutes (it works once):\n%(link)s\n\nUntil you "
                "choose a new password, the current one keeps working.", **values)
        else:
            body = _(
                "Someone, probably you, asked for a new password for your Shanlian account %(email)s.\n\n"
                "Open this link within %(minutes)s minutes to choose it (it works once):\n%(link)s\n\n"
                "If you did not ask, ignore this email: your password stays as it is.", **values)
        mailer.post(mailer.message(user.email, _("Shanlian: choose a new password"), body))
    return link


def _open_links(user: User) -> int:
    query = sa.select(sa.func.count()).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > clock.now()
    )
    return db.session.scalar(query) or 0


def _mail_locale():  # type: ignore[no-untyped-def]
    """Emails are written in the default language, like the other emails the app sends."""
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
