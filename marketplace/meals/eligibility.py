"""Eligibility codes: after the free meals, a caseworker or social worker vouches for more.

A code is shown once, when issued, and kept only as a keyed hash. The first phone number that
books with it is bound to it (as a keyed hash), so the code cannot be passed around, and that
resident need not type it again until it expires or is revoked.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.meals import codes
from marketplace.meals.errors import MealError
from marketplace.meals.models import EligibilityCode
from marketplace.meals.phones import keyed_hash
from marketplace.regions.service import region_codes_within

_LONG_NUMBER = re.compile(r"\d{7,}")


def code_hash(normalised: str) -> str:
    """The only form in which an eligibility code is kept."""
    return keyed_hash("eligibility", normalised)


def may_issue(actor: Any) -> bool:
    """Civil-affairs staff, and members of an approved social-work project, issue codes."""
    role = getattr(actor, "role", None)
    if role in (Role.STAFF, Role.ADMIN):
        return True
    org = actor.organisation if role == Role.ORG_MEMBER else None
    return org is not None and org.kind == "project" and org.is_approved


def visible_query(actor: User) -> sa.Select:
    """The codes this person may see and revoke: their region's (staff) or their project's."""
    query = sa.select(EligibilityCode).order_by(EligibilityCode.issued_at.desc(), EligibilityCode.id.desc())
    if actor.role == Role.ADMIN:
        return query
    if actor.role == Role.STAFF and actor.region_code:
        return query.where(EligibilityCode.region_code.in_(region_codes_within(actor.region_code)))
    if may_issue(actor):
        return query.where(EligibilityCode.organisation_id == actor.organisation_id)
    return query.where(sa.false())


CODE_STATES = {"unused": _l("not used yet"), "in_use": _l("in use"), "expired": _l("expired"),
               "revoked": _l("revoked")}


def code_state(row: EligibilityCode, today: date) -> str:
    """Where a code stands (a key of CODE_STATES): revoked before expired before in use."""
    if row.revoked_at:
        return "revoked"
    if row.expires_on < today:
        return "expired"
    return "in_use" if row.first_used_at else "unused"


def in_state(state: str, today: date) -> Any:
    """The SQL condition of `code_state(row, today) == state`, for the list's filter."""
    live = sa.and_(EligibilityCode.revoked_at.is_(None), EligibilityCode.expires_on >= today)
    return {
        "revoked": EligibilityCode.revoked_at.is_not(None),
        "expired": sa.and_(EligibilityCode.revoked_at.is_(None), EligibilityCode.expires_on < today),
        "in_use": sa.and_(live, EligibilityCode.first_used_at.is_not(None)),
        "unused": sa.and_(live, EligibilityCode.first_used_at.is_(None)),
    }[state]


def can_manage(actor: User, row: EligibilityCode) -> bool:
    """Whether the actor may revoke this code."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(visible_query(actor).where(EligibilityCode.id == row.id).subquery())
    ) == 1


def issue_code(*, actor: User, note: str, valid_days: int, today: date) -> tuple[EligibilityCode, str]:
    """A new code valid for `valid_days`; returns the row and the code to hand over (shown only now)."""
    if not may_issue(actor):
        raise PermissionError("only caseworkers and social workers issue eligibility codes")
    note = (note or "").strip()
    if _LONG_NUMBER.search(note):
        raise MealError(_l("do not write phone or ID numbers in the note"))
    if not 1 <= valid_days <= 366:
        raise MealError(_l("a code is valid for 1 to 366 days"))
    code = codes.new_code(codes.ELIGIBILITY_LENGTH)
    row = EligibilityCode(
        code_hash=code_hash(code), note=note[:200], expires_on=today + timedelta(days=valid_days),
        issued_by_id=actor.id, region_code=actor.region_code if actor.role == Role.STAFF else None,
        organisation_id=actor.organisation_id if actor.role == Role.ORG_MEMBER else None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("eligibility_code.issue", actor=actor, obj=row, region_code=row.region_code,
                 after={"expires_on": row.expires_on.isoformat()})
    return row, codes.display(code)


def revoke_code(row: EligibilityCode, *, actor: User, now: datetime) -> None:
    """Stop a code from booking more meals (meals already booked with it stay valid)."""
    if not can_manage(actor, row):
        raise PermissionError("not a code you may manage")
    result = db.session.execute(
        sa.update(EligibilityCode).where(EligibilityCode.id == row.id, EligibilityCode.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id).execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    if result.rowcount != 1:
        raise MealError(_l("this code was already revoked"))
    audit.record("eligibility_code.revoke", actor=actor, obj=row, region_code=row.region_code,
                 after={"revoked": True})


def _usable(today: date) -> Any:
    return sa.and_(EligibilityCode.revoked_at.is_(None), EligibilityCode.expires_on >= today)


def usable_code(phone_hash: str, typed: str, *, today: date, now: datetime) -> EligibilityCode | None:
    """The valid code bound to this phone, or the typed one (then bound to the phone), or None.

    Raises MealError when a typed code is mistyped, unknown, expired, revoked or someone else's.
    """
    if not (typed or "").strip():
        return db.session.scalar(
            sa.select(EligibilityCode).where(EligibilityCode.phone_hash == phone_hash, _usable(today))
            .order_by(EligibilityCode.expires_on.desc()).limit(1)
        )
    normalised = codes.normalise(typed)
    if len(normalised) != codes.ELIGIBILITY_LENGTH or not codes.is_valid(normalised):
        raise MealError(_l("this eligibility code is mistyped: check it against the slip"))
    bound = db.session.execute(
        sa.update(EligibilityCode)
        .where(EligibilityCode.code_hash == code_hash(normalised), _usable(today),
               sa.or_(EligibilityCode.phone_hash.is_(None), EligibilityCode.phone_hash == phone_hash))
        .values(phone_hash=phone_hash,
                first_used_at=sa.func.coalesce(EligibilityCode.first_used_at, sa.literal(now, UTCDateTime)))
        .execution_options(synchronize_session=False)
    )
    if bound.rowcount != 1:
        raise MealError(_l("this eligibility code is not valid (expired, revoked, or used with another number)"))
    return db.session.scalar(sa.select(EligibilityCode).where(EligibilityCode.code_hash == code_hash(normalised)))
