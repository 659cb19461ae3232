"""Cross-cutting web behaviour: security headers, error pages, locale, session loading."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, current_app, has_request_context, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import unit_of_work
from marketplace.api.errors import error_response
from marketplace.extensions import db, login_manager

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str:
    """The reader's chosen language, else the default (Simplified Chinese)."""
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def security_headers(response):  # type: ignore[no-untyped-def]
    """Headers that stop framing, sniffing, leaking referrers and injected scripts."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You may not open this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not allowed here"),
    413: lambda: _("The upload is too large"),
    429: lambda: _("Too many attempts: please wait a minute"),
    500: lambda: _("Something went wrong on our side"),
}


def render_error(error: Exception):  # type: ignore[no-untyped-def]
    """A friendly error page in the reader's language (JSON for API clients)."""
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        unit_of_work.discard()  # the page below reads the database; a failed transaction cannot
    title = ERROR_TITLES.get(code, ERROR_TITLES[500 if code >= 500 else 400])()
    detail = ""
    if isinstance(error, CSRFError):
        detail = _("The form expired or was sent from elsewhere. Go back, reload and try again.")
    if request.path.startswith("/api/"):
        return error_response(code)  # the API contract's error shape
    try:
        return render_template("error.html", code=code, title=title, detail=detail), code
    except Exception:  # the error page itself must never fail: fall back to plain text
        current_app.logger.exception("error page failed to render")
        return f"{code} {title}", code, {"Content-Type": "text/plain; charset=utf-8"}


class Anonymous(AnonymousUserMixin):
    """The signed-out visitor; has no role."""

    role = None
    organisation = None


def refuse_nul_bytes() -> None:
    """A NUL character in a parameter or form field is never meaningful text, and PostgreSQL cannot
    store or compare it: answer 400 instead of letting it reach a query."""
    if request.path.startswith("/api/"):
        return  # the API validates its JSON bodies itself and answers in its own format
    if any("\x00" in value for value in request.args.values()) or (
        request.method == "POST" and any("\x00" in value for value in request.form.values())
    ):
        abort(400)


def caring_enterprises() -> set[int]:
    """Companies carrying the 爱心企业 badge (computed once per request)."""
    from flask import g

    from marketplace.leaderboards.publish import badge_holders

    if "caring_enterprises" not in g:
        g.caring_enterprises = badge_holders()
    return g.caring_enterprises


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT proxies, take the client's address and scheme from the headers they add.

    Every client address the app uses (the sign-in throttle, the meal-booking limit, audit rows)
    then is the real client's, not the proxy's; with 0 (no proxy) a client's own X-Forwarded-For
    is ignored, so it cannot choose its address.
    """
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def register_web(app: Flask) -> None:
    """Wire headers, error pages, trusted proxies and the session user loader."""
    from flask_login import current_user

    from marketplace import taxonomy
    from marketplace.accounts import sessions
    from marketplace.accounts.models import User
    from marketplace.notifications import service as notifications

    trust_proxies(app)
    app.after_request(security_headers)
    app.before_request(refuse_nul_bytes)
    app.context_processor(
        lambda: {
            "get_locale": get_locale,
            "kinds": taxonomy.ORGANISATION_KINDS,
            "categories": taxonomy.NEED_CATEGORIES,
            "groups": taxonomy.HOUSEHOLD_GROUPS,
            "household_categories": taxonomy.HOUSEHOLD_CATEGORIES,
            "need_kinds": taxonomy.NEED_KINDS,
            "unread_notifications": lambda: notifications.unread_count(current_user),
            "caring_enterprises": caring_enterprises,
        }
    )
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(Exception, _unexpected)

    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        """A session is valid only while its session version matches the account's."""
        account = sessions.parse_token(token)
        if account is None:
            return None
        return db.session.scalar(sa.select(User).where(sessions.is_live(account.id, account.session_version)))


def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
    """Anything not already an HTTP error is logged and shown as a friendly 500."""
    if isinstance(error, HTTPException):
        return render_error(error)
    current_app.logger.exception("unhandled error on %s", request.path)
    return render_error(error)
