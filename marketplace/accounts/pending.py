"""The half-way state of a sign-in: the password was right, the second factor is still to come.

The visitor is not signed in: the session holds only which account passed its password, what it
must do next (type a code, or enrol a factor), where it was going, and since when. The code page
and the enrolment page finish the sign-in from here; every other page sees an anonymous visitor.
The state lasts ten minutes and dies with the account's session version (sign-out elsewhere,
disabling, a change of access, a factor reset).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import redirect, session, url_for
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts import second_factor, sessions
from marketplace.accounts.models import User
from marketplace.extensions import db

KEY = "pending_sign_in"
LIFETIME_SECONDS = 10 * 60
NEXT_PAGE = {second_factor.CODE: "second_factor.code", second_factor.ENROL: "second_factor.setup"}


@dataclass(frozen=True)
class Pending:
    """An account half-way through its sign-in."""

    user: User
    step: str
    target: str


def after_password(user: User, target: str) -> Response | None:
    """Hold the sign-in and send the visitor on to its second step; None when the password is enough."""
    step = second_factor.step_after_password(user)
    if step is None:
        return None
    sessions.restart_session()  # nothing from before the password survives, as with a full sign-in
    session[KEY] = {"user": user.id, "version": user.session_version, "step": step, "next": (target or "")[:500],
                    "at": clock.now().timestamp()}
    return redirect(url_for(NEXT_PAGE[step]))


def current(step: str) -> Pending | None:
    """The sign-in this session holds at `step`, if it is still good."""
    held = session.get(KEY)
    if not isinstance(held, dict) or held.get("step") != step:
        return None
    if not 0 <= clock.now().timestamp() - float(held.get("at", 0)) <= LIFETIME_SECONDS:
        session.pop(KEY, None)
        return None
    user = db.session.scalar(sa.select(User).where(sessions.is_live(held.get("user"), held.get("version"))))
    if user is None:
        session.pop(KEY, None)
        return None
    return Pending(user, step, str(held.get("next") or ""))
