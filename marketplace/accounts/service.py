"""Account operations: sign-in, sign-out, creation, role and status changes (all audited)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import clock
from marketplace.accounts import password_rule, throttle
from marketplace.accounts.digests import email_label
from marketplace.accounts.models import Role, User, password_hash_method
from marketplace.audit import service as audit
from marketplace.db import read_phase
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.regions.models import Region
from marketplace.unit_of_work import follow_up


class AccountError(DomainError):
    """An account operation was refused; the message says why."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password by the method and cost of real ones, made once per method."""
    method = password_hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return _DUMMY_HASHES[method]


def check_throttle(email: str, client: str) -> throttle.Attempt:
    """The attempt's throttle buckets, or `throttle.Throttled` while they make it wait; the first
    refusal of each wait is audited (after the request, whose 429 answer rolls its own work back)."""
    attempt = throttle.Attempt.of(normalise_email(email), client)
    try:
        throttle.check(attempt)
    except throttle.Throttled as refused:
        if refused.first:
            follow_up(_record_throttled(normalise_email(email), refused.seconds))
        raise
    return attempt


def authenticate(email: str, password: str, *, client: str) -> User | None:
    """The enabled account matching the credentials, or None (audited, and counted by the throttle).

    Refused with `throttle.Throttled` while this client's failures make it wait. Every attempt costs
    one password hash check, whether or not the email has an enabled account, so the time of the
    answer does not tell.
    """
    email = normalise_email(email)
    attempt = check_throttle(email, client)
    with read_phase():  # the slow hash check must not hold SQLite's write lock
        user = find_by_email(email)
        password_hash = user.password_hash if user is not None else None
    # An unknown or passwordless account is checked against a dummy hash: the same work, never a match.
    valid = check_password_hash(password_hash or _dummy_hash(), password) and password_hash is not None
    if user is None or not valid or not user.is_enabled:
        throttle.failed(attempt)
        reason = "disabled" if user is not None and user.is_enabled is False else "bad_credentials"
        # The email typed is kept only when it names an account: anything else may be a mistyped password.
        audit.record(
            "auth.login_failed",
            actor=user,
            actor_label=user.email if user is not None else email_label(email),
            object_type="users",
            object_id=user.id if user else "",
            after={"reason": reason},
        )
        return None
    return user


def _record_throttled(email: str, seconds: int) -> Callable[[object], None]:
    """The audit row of a throttled sign-in, to be written after its request."""

    def write(_response: object) -> None:
        user = find_by_email(email)
        audit.record(
            "auth.login_throttled",
            actor_label=user.email if user is not None else email_label(email),
            object_type="users",
            object_id=user.id if user else "",
            after={"wait_seconds": seconds},
        )

    return write


def signed_in(user: User, *, client: str, second_factor: str = "") -> None:
    """Record a complete sign-in (after the second factor, where there is one); this client's
    failures on the account are forgotten."""
    user.last_login_at = clock.now()
    throttle.succeeded(throttle.Attempt.of(user.email, client))
    audit.record("auth.login", actor=user, obj=user, after={"second_factor": second_factor} if second_factor else None)


def end_sessions(user: User) -> None:
    """Invalidate every session of this account (all devices)."""
    user.session_version += 1


def sign_out(user: User) -> None:
    """Record the sign-out and end the account's sessions everywhere."""
    end_sessions(user)
    audit.record("auth.logout", actor=user, obj=user)


def create_user(
    email: str,
    password: str,
    role: Role | str,
    *,
    region_code: str | None = None,
    organisation_id: int | None = None,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    """Create an account after checking that its role has the scope it needs."""
    role = Role(role)
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise AccountError(_l("an account with email %(email)s already exists", email=email))
    password_rule.check(password, email=email, name=display_name)
    _check_scope(role, region_code, organisation_id)
    user = User(
        email=email,
        role=role,
        region_code=region_code if role == Role.STAFF else None,
        organisation_id=organisation_id if role in (Role.ORG_MEMBER, Role.OUTLET_STAFF) else None,
        display_name=display_name or email.split("@")[0],
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, obj=user, after=_snapshot(user), actor_label=None if actor else "system")
    return user


# Organisations are built on accounts (their members are users): name their table, not their package.
ORGANISATIONS = sa.table("organisations", sa.column("id"))


def _check_scope(role: Role, region_code: str | None, organisation_id: int | None) -> None:
    if role == Role.STAFF and (region_code is None or db.session.get(Region, region_code) is None):
        raise AccountError(_l("staff need a known region (a district or street code)"))
    if role in (Role.ORG_MEMBER, Role.OUTLET_STAFF) and (
        organisation_id is None
        or db.session.scalar(sa.select(ORGANISATIONS.c.id).where(ORGANISATIONS.c.id == organisation_id)) is None
    ):
        raise AccountError(_l("organisation members and outlet staff need a known organisation"))


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "role": user.role,
        "region_code": user.region_code,
        "organisation_id": user.organisation_id,
        "outlet_id": user.outlet_id,
        "is_enabled": user.is_enabled,
    }


def change_access(
    user: User,
    *,
    actor: User,
    role: Role | str,
    region_code: str | None,
    organisation_id: int | None,
    is_enabled: bool,
) -> None:
    """Change an account's role, scope or status; sessions end when access shrinks or stops."""
    role = Role(role)
    if user.id == actor.id and (role != Role.ADMIN or not is_enabled):
        raise AccountError(_l("you cannot remove your own admin access"))
    _check_scope(role, region_code, organisation_id)
    before = _snapshot(user)
    user.role = role
    user.region_code = region_code if role == Role.STAFF else None
    if role != Role.OUTLET_STAFF or organisation_id != user.organisation_id:
        user.outlet_id = None  # an outlet belongs to one company: a moved or re-roled account leaves it
    user.organisation_id = organisation_id if role in (Role.ORG_MEMBER, Role.OUTLET_STAFF) else None
    user.is_enabled = is_enabled
    after = _snapshot(user)
    if before == after:
        return
    # A session must not outlive the permissions it was opened with.
    end_sessions(user)
    audit.record("user.access_change", actor=actor, obj=user, before=before, after=after)
