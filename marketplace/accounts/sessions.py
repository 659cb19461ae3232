"""What keeps a sign-in valid, in one place: the session cookie names an account and the session
version it was opened with; the account must exist, be enabled, and still have that version
(signing out, disabling or a change of access bumps it).

`web.load_user` applies the rule for every page through Flask-Login. A view that checks the sign-in
inside its own statement (the outlet's scanner) takes the same rule as SQL from here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import session

from marketplace.accounts.models import User


class SessionAccount(NamedTuple):
    """The account a session cookie names, not yet checked against the database."""

    id: int
    session_version: int


def parse_token(token: str | None) -> SessionAccount | None:
    """`"<id>:<version>"` (what `User.get_id` writes) as numbers, or None for anything else."""
    user_id, _sep, version = (token or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    return SessionAccount(int(user_id), int(version))


def session_account() -> SessionAccount | None:
    """The account this request's signed session cookie names (Flask-Login keeps it as `_user_id`)."""
    return parse_token(session.get("_user_id"))


def is_live(user_id: Any, session_version: Any) -> sa.ColumnElement[bool]:
    """SQL: the account exists, is enabled, and its session version is the session's."""
    return sa.and_(User.id == user_id, User.is_enabled.is_(True), User.session_version == session_version)


# How the session's sign-in passed the second factor: "totp", "recovery", "enrolled"; "password" when it was
# not asked, "not_needed" once the guard (second_factor_views) found that the account needs none.
SECOND_FACTOR = "second_factor"


def restart_session() -> None:
    """Empty the session but for the chosen language: no state from before a sign-in survives it."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
