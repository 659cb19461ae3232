"""Who may open which page: every view declares it, and undeclared views are refused.

`public` and `roles_required` set `view.access`, which the app checks before every request and
the authorization-matrix test reads; a route nobody classified answers 403 and fails that test.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user

from marketplace.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view: F) -> F:
    """Anyone, signed in or not, may open this view."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only signed-in, enabled accounts with one of `roles` (any role when none is given)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = tuple(roles) or SIGNED_IN  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def checks_own_sign_in(*roles: Role) -> Callable[[F], F]:
    """Only signed-in accounts with one of `roles`, like `roles_required`, but the view checks the
    sign-in itself, inside its own statement (with `sessions.is_live` and the role), instead of
    loading the account first; where that check fails it answers `refuse_sign_in(*roles)`."""

    def decorate(view: F) -> F:
        view.access = tuple(roles)  # type: ignore[attr-defined]
        return view

    return decorate


def refuse_sign_in(*roles: Role) -> Any:
    """The answer `roles_required` gives: to the sign-in page when signed out, 403 for other roles."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    abort(403)


def deny_unclassified() -> None:
    """Refuse any endpoint that declared no access rule (deny by default)."""
    if request.endpoint in (None, "static"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "access", None) is None:
        abort(403)


def is_safe_next(target: str | None) -> bool:
    """Whether a `next` URL stays on this site (a path, never //host, /\\host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def may_open(user: Any, endpoint: str) -> bool:
    """Whether `user` passes the access rule the endpoint's view declares (accounts/access.py)."""
    rule = getattr(current_app.view_functions.get(endpoint), "access", None)
    if rule is None:
        return False  # an unclassified view is refused to everyone
    if rule == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return rule == SIGNED_IN or user.role in rule


def init_app(app: Any) -> None:
    """Deny unclassified views before they run, and let templates ask `may_open('admin.index')`."""
    app.before_request(deny_unclassified)
    app.jinja_env.globals["may_open"] = lambda endpoint: may_open(current_user, endpoint)
