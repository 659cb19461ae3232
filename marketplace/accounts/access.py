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
