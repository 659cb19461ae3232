"""The second factor of staff and admins: TOTP codes (RFC 6238, pyotp) and single-use recovery codes.

- **Enrolment**: a fresh secret is shown as a QR code and as text; it is stored only when a code
  made from it is typed back (`enrol`), together with 10 recovery codes that are shown once and
  kept as keyed hashes. Enrolling again replaces the secret and the codes.
- **Sign-in**: after the right password, a code from the app — the current 30-second step or one
  on either side (pyotp's valid_window=1) — or an unused recovery code. The step of the last code
  accepted is stored; a code of that step or an earlier one is refused, so a code seen over a
  shoulder or caught on its way cannot be used again. Wrong codes count in the sign-in throttle.
- **Who**: staff and admins may enrol. When REQUIRE_SECOND_FACTOR is on they cannot sign in without
  one (they are sent to enrolment right after the password) and cannot turn theirs off. An admin
  resets a lost factor; that ends the account's sessions, and the next sign-in enrols again.

The secret is stored as the app holds it (codes are computed from it, as in django-otp); it is of
no use without the account's password.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts import throttle
from marketplace.accounts.digests import keyed_hash
from marketplace.accounts.models import Role, User
from marketplace.accounts.second_factor_models import RecoveryCode, SecondFactor
from marketplace.accounts.service import check_throttle, end_sessions
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db

ROLES = (Role.ADMIN, Role.STAFF)
ISSUER = "Shanlian 善联"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/i/l: read off paper without doubt
CODE = "code"  # what the sign-in asks after the password
ENROL = "enrol"


class FactorError(DomainError):
    """A second-factor operation was refused; the message says why."""


@dataclass(frozen=True)
class Status:
    """What an account's owner and admins see of its second factor."""

    enrolled_at: datetime
    recovery_codes_left: int


def may_enrol(user: User) -> bool:
    """Whether the account's role has a second factor (staff and admins)."""
    return user.role in ROLES


def is_required(user: User) -> bool:
    """Whether this account cannot sign in (or stay signed in) without a second factor."""
    return bool(current_app.config.get("REQUIRE_SECOND_FACTOR")) and may_enrol(user)


def factor_of(user: User) -> SecondFactor | None:
    """The account's confirmed factor, if any."""
    return db.session.get(SecondFactor, user.id)


def status(user: User) -> Status | None:
    """The account's factor as its owner and admins see it, or None when it has none."""
    factor = factor_of(user)
    if factor is None:
        return None
    left = db.session.scalar(
        sa.select(sa.func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return Status(factor.enrolled_at, left or 0)


def step_after_password(user: User) -> str | None:
    """What the sign-in asks after the right password: a code, an enrolment, or nothing more."""
    if factor_of(user) is not None:
        return CODE
    return ENROL if is_required(user) else None


def new_secret() -> str:
    """A fresh random secret (160 bits, base32) for an enrolment."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address the QR code carries (what authenticator apps read)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code this is, within pyotp's valid_window=1 (the step before, now, after)."""
    if not _is_totp(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    for step in (now - 1, now, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _is_totp(code: str) -> bool:
    """Six ASCII digits (what an authenticator app shows; `\\d` would take other scripts' digits too)."""
    return re.fullmatch(r"[0-9]{6}", code) is not None


def _clean(code: str) -> str:
    """A code as typed, without spaces and hyphens, in lower case."""
    return re.sub(r"[\s\-]", "", code or "").lower()[:40]


def _recovery_hash(code: str) -> str:
    return keyed_hash("recovery-code", _clean(code))


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes by fresh ones; the plain codes are returned once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def enrol(user: User, secret: str, code: str) -> list[str]:
    """Store the secret once a code from it is typed back; returns the new recovery codes (shown once)."""
    if not may_enrol(user):
        raise FactorError(_l("only staff and admins have a second factor"))
    step = _matching_step(secret, _clean(code), clock.now())
    if step is None:
        raise FactorError(_l("That code does not match. Check the time on your phone and type the code it shows now."))
    factor = factor_of(user)
    replaced = factor is not None
    if factor is None:
        factor = SecondFactor(user_id=user.id)
        db.session.add(factor)
    factor.secret, factor.last_used_step, factor.enrolled_at = secret, step, clock.now()
    codes = _new_recovery_codes(user)
    after = {"replaced": replaced, "recovery_codes": len(codes)}
    audit.record("auth.factor_enrolled", actor=user, obj=user, after=after)
    db.session.flush()
    return codes


def _use_totp(factor: SecondFactor, code: str) -> bool:
    """Accept a code of a step later than the last one used; one conditional UPDATE, so two
    requests bearing the same code cannot both pass."""
    step = _matching_step(factor.secret, code, clock.now())
    if step is None:
        return False
    moved = db.session.execute(
        sa.update(SecondFactor.__table__)
        .where(SecondFactor.user_id == factor.user_id, SecondFactor.last_used_step < step)
        .values(last_used_step=step)
    )
    return moved.rowcount == 1


def _use_recovery_code(user: User, code: str) -> bool:
    """Spend an unused recovery code (one conditional UPDATE: it works once)."""
    used = db.session.execute(
        sa.update(RecoveryCode.__table__)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now())
    )
    if used.rowcount != 1:
        return False
    left = db.session.scalar(
        sa.select(sa.func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    audit.record("auth.recovery_code_used", actor=user, obj=user, after={"left": left})
    return True


def use_code(user: User, code: str, *, client: str) -> str | None:
    """Check a second-factor code of the account, throttled like passwords: "totp" or "recovery"
    when it is accepted (and now spent), None when not (the failure is counted and audited)."""
    attempt = check_throttle(user.email, client)
    factor = factor_of(user)
    cleaned = _clean(code)
    if factor is not None and _is_totp(cleaned) and _use_totp(factor, cleaned):
        return "totp"
    if factor is not None and not _is_totp(cleaned) and _use_recovery_code(user, cleaned):
        return "recovery"
    throttle.failed(attempt)
    audit.record("auth.login_failed", actor=user, obj=user, after={"reason": "wrong_code"})
    return None


def disable(user: User, code: str, *, client: str) -> None:
    """The owner turns their factor off with a current code; refused where a factor is required."""
    if is_required(user):
        raise FactorError(_l("Staff and admins must keep a second factor. To move it to a new phone, set it up again."))
    if factor_of(user) is None:
        raise FactorError(_l("This account has no second factor."))
    if use_code(user, code, client=client) is None:
        raise FactorError(_l("Wrong code, or a code that was already used."))
    _remove(user)
    audit.record("auth.factor_disabled", actor=user, obj=user)


def reset(user: User, *, actor: User) -> None:
    """An admin removes an account's factor (a lost phone): its sessions end, the next sign-in enrols."""
    if actor.role != Role.ADMIN:
        raise FactorError(_l("only admins reset a second factor"))
    if factor_of(user) is None:
        raise FactorError(_l("This account has no second factor."))
    _remove(user)
    end_sessions(user)  # whoever holds a session opened with the old factor is signed out
    audit.record("auth.factor_reset", actor=actor, obj=user)


def _remove(user: User) -> None:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(SecondFactor).where(SecondFactor.user_id == user.id))
