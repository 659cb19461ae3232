"""Vouchers: book, show, cancel, redeem exactly once, expire. The rules of DESIGN.md §5.

A resident is known only by a keyed hash of the phone number. Redemption is one conditional
UPDATE — this code, this outlet, today, inside serving hours, still booked — so among any number of
simultaneous scans exactly one changes the row; the others read it back and say when it was used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.accounts import sessions
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.meals import codes, eligibility, phones, quota
from marketplace.meals.errors import MealError
from marketplace.meals.models import Outlet, Voucher, VoucherStatus
from marketplace.meals.timing import bookable_days, local_date, serving_window
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.settings import service as settings


class _SoldOut(Exception):
    """No meal left on the day (raised inside the booking savepoint to undo it)."""


@dataclass
class Booking:
    """A new voucher and the secret of its page (only its digest is stored)."""

    voucher: Voucher
    token: str


def token_hash(token: str) -> str:
    """Digest of a voucher page's secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _record(action: str, voucher: Voucher, **after: Any) -> None:
    """An audit event about a voucher that names no resident: no phone, no hash, no address."""
    event = audit.record(action, object_type="vouchers", object_id=voucher.id, actor_label="resident",
                         after={"outlet_id": voucher.outlet_id, "serve_date": voucher.serve_date.isoformat(), **after})
    event.ip = ""  # residents are anonymous: not even their network address is kept


def _phone_hash(text: str) -> str:
    normalised = phones.normalise(text)
    if normalised is None:
        raise MealError(_l("enter a mobile number (11 digits) or a landline with its area code"))
    return phones.phone_hash(normalised)


def _serving_outlet(outlet_id: int) -> Outlet:
    outlet = db.session.get(Outlet, outlet_id)
    if outlet is None or not outlet.is_active or outlet.organisation.status != OrgStatus.APPROVED:
        raise MealError(_l("this outlet is not serving free meals now"))
    return outlet


def meals_in_use(phone_hash: str, now: datetime) -> int:
    """Meals this number has eaten, plus those booked and still valid."""
    open_or_eaten = sa.or_(
        Voucher.status == VoucherStatus.REDEEMED,
        sa.and_(Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until > now),
    )
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Voucher).where(Voucher.phone_hash == phone_hash, open_or_eaten)
    ) or 0


def _new_code() -> str:
    while True:
        code = codes.new_code(codes.VOUCHER_LENGTH)
        if db.session.scalar(sa.select(Voucher.id).where(Voucher.code == code)) is None:
            return code


def book(outlet_id: int, day: date, *, phone: str, eligibility_code: str = "", now: datetime) -> Booking:
    """Book one meal at an outlet for today or tomorrow, for a phone number (kept only hashed)."""
    digest = _phone_hash(phone)
    outlet = _serving_outlet(outlet_id)
    if day not in bookable_days(now):
        raise MealError(_l("meals can be booked for today or tomorrow"))
    valid_from, valid_until = serving_window(outlet, day)
    if now >= valid_until:
        raise MealError(_l("serving has ended for today: book for tomorrow"))
    taken = sa.select(Voucher.id).where(Voucher.phone_hash == digest, Voucher.serve_date == day,
                                        Voucher.status != VoucherStatus.CANCELLED)
    if db.session.scalar(taken) is not None:
        raise MealError(_l("this number already has a meal booked for that day"))
    code_row = None
    if meals_in_use(digest, now) >= settings.get("meals_free_meals") or eligibility_code.strip():
        code_row = eligibility.usable_code(digest, eligibility_code, today=local_date(now), now=now)
        if code_row is None:
            raise MealError(_l("You have had your free meals. A caseworker or social worker can give you an "
                               "eligibility code for more: type it below."))
    token = secrets.token_urlsafe(18)
    voucher = Voucher(code=_new_code(), token_hash=token_hash(token), outlet_id=outlet.id, serve_date=day,
                      valid_from=valid_from, valid_until=valid_until, phone_hash=digest, booked_at=now,
                      eligibility_code_id=code_row.id if code_row else None)
    try:
        with db.session.begin_nested():  # the meal and the voucher are taken together or not at all
            db.session.add(voucher)
            db.session.flush()
            _record("meal.book", voucher, with_eligibility_code=code_row is not None)
            db.session.flush()
            # Last: the day's counter row stays locked (PostgreSQL) only from here to the commit.
            if not quota.take_meal(outlet.id, day):
                raise _SoldOut
    except _SoldOut:
        raise MealError(_l("Sorry, no meals are left there on that day. Try another outlet or day.")) from None
    except IntegrityError:
        raise MealError(_l("this number already has a meal booked for that day")) from None
    return Booking(voucher, token)


def by_token(token: str) -> Voucher | None:
    """The voucher whose page secret this is."""
    return db.session.scalar(sa.select(Voucher).where(Voucher.token_hash == token_hash(token or "")))


def recover(*, phone: str, code: str) -> Booking:
    """A resident who lost the page gets it back with the number and the code (a new page secret)."""
    normalised = codes.normalise(code)
    voucher = db.session.scalar(
        sa.select(Voucher).where(Voucher.code == normalised, Voucher.phone_hash == _phone_hash(phone))
    ) if codes.is_valid(normalised) else None
    if voucher is None:
        raise MealError(_l("No voucher matches this number and code."))
    token = secrets.token_urlsafe(18)
    voucher.token_hash = token_hash(token)
    return Booking(voucher, token)


def cancel(voucher: Voucher, *, now: datetime) -> None:
    """The resident gives the meal back before serving ends; the day gets it again."""
    result = db.session.execute(
        sa.update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until > now)
        .values(status=VoucherStatus.CANCELLED, cancelled_at=now).execution_options(synchronize_session=False)
    )
    db.session.refresh(voucher)
    if result.rowcount != 1:
        raise MealError(_l("This voucher can no longer be cancelled."))
    quota.free_meal(voucher.outlet_id, voucher.serve_date)
    _record("meal.cancel", voucher)


class Outcome(StrEnum):
    """What the outlet is told, in one word."""

    VALID = "valid"
    USED = "used"
    INVALID = "invalid"


@dataclass
class Redemption:
    """The answer to one scan: the outcome, why, and when a used voucher was redeemed.

    `outlet_id` is the counter's outlet (None when the sign-in has no outlet of an approved
    company); `counter_live` is False when the session names no enabled outlet staff account with
    that session version: the caller refuses the request as it would any page.
    """

    outcome: Outcome
    reason: Any = ""
    redeemed_at: datetime | None = None
    outlet_id: int | None = None
    counter_live: bool = True


_v, _u = Voucher.__table__.c, User.__table__.c
_o, _org = Outlet.__table__.c, Organisation.__table__.c


def _counter(bind: str) -> sa.Select[Any]:
    """The live outlet staff sign-in named by (b_user, b_version), selecting `bind`'s column."""
    return sa.select(getattr(_u, bind)).where(sessions.is_live(sa.bindparam("b_user"), sa.bindparam("b_version")),
                                              _u.role == Role.OUTLET_STAFF)


# The counter's outlet: of the counter's own company, and the company approved.
COUNTER_OUTLET = (
    _counter("outlet_id")
    .join(Outlet, sa.and_(_o.id == _u.outlet_id, _o.organisation_id == _u.organisation_id))
    .join(Organisation, sa.and_(_org.id == _o.organisation_id, _org.status == OrgStatus.APPROVED))
    .scalar_subquery()
)
# Built once, so a scan only binds values. The sign-in is checked in the same statement that redeems:
# the scanner's request loads no account first, and no check can go stale before the write.
REDEEM = (
    sa.update(Voucher.__table__)
    .where(_v.code == sa.bindparam("b_code"), _v.outlet_id == COUNTER_OUTLET,
           _v.serve_date == sa.bindparam("b_day"), _v.status == VoucherStatus.BOOKED,
           _v.valid_from <= sa.bindparam("b_now"), _v.valid_until > sa.bindparam("b_now"))
    .values(status=VoucherStatus.REDEEMED, redeemed_at=sa.bindparam("b_now"), redeemed_by_id=sa.bindparam("b_user"))
    .returning(_v.id, _v.outlet_id)
)
# Why a scan did not redeem, in one query: the sign-in, its outlet, and the voucher (if any).
_probe = sa.select(sa.literal(1).label("one")).subquery()
SCANNED = sa.select(
    _counter("id").scalar_subquery().label("live_user"), COUNTER_OUTLET.label("my_outlet"),
    _v.outlet_id, _v.status, _v.serve_date, _v.valid_from, _v.valid_until, _v.redeemed_at,
).select_from(_probe.outerjoin(Voucher.__table__, _v.code == sa.bindparam("b_code")))


def redeem(typed: str, *, counter: Any, now: datetime) -> Redemption:
    """Redeem a voucher at the counter's outlet: one atomic conditional UPDATE, exactly one winner.

    `counter` names the outlet staff sign-in scanning (`id` and `session_version`: a `User`, or the
    session's `SessionAccount`); its outlet and company are checked inside the same UPDATE.
    """
    code = codes.normalise(typed)
    values = {"b_code": code, "b_user": counter.id, "b_version": counter.session_version,
              "b_day": local_date(now), "b_now": now}
    connection = db.session.connection()
    well_formed = len(code) == codes.VOUCHER_LENGTH and codes.is_valid(code)
    if well_formed and (won := connection.execute(REDEEM, values).first()) is not None:
        audit.record_now("meal.redeem", actor_id=counter.id, object_type="vouchers", object_id=won.id,
                         after={"outlet_id": won.outlet_id})
        return Redemption(Outcome.VALID, redeemed_at=now, outlet_id=won.outlet_id)
    scanned = connection.execute(SCANNED, values).one()
    if scanned.live_user is None:
        return Redemption(Outcome.INVALID, counter_live=False)
    if scanned.my_outlet is None:
        reason = _l("This sign-in is not assigned to an outlet of an approved company.")
        return Redemption(Outcome.INVALID, reason)
    if not code:
        return Redemption(Outcome.INVALID, _l("Type or scan a voucher code."), outlet_id=scanned.my_outlet)
    if not well_formed:
        return Redemption(Outcome.INVALID, _l("This is not a voucher code: check it for a typo."),
                          outlet_id=scanned.my_outlet)
    result = _explain(scanned, scanned.my_outlet, now)
    result.outlet_id = scanned.my_outlet
    return result


def _explain(voucher: Any, outlet_id: int, now: datetime) -> Redemption:
    """Why a scan did not redeem: the voucher is unknown, elsewhere, used, over or not yet due."""
    if voucher.status is None:
        return Redemption(Outcome.INVALID, _l("No voucher has this code."))
    if voucher.outlet_id != outlet_id:
        return Redemption(Outcome.INVALID, _l("This voucher is for another outlet."))
    if voucher.status == VoucherStatus.REDEEMED:
        return Redemption(Outcome.USED, _l("Already redeemed."), redeemed_at=voucher.redeemed_at)
    if voucher.status == VoucherStatus.CANCELLED:
        return Redemption(Outcome.INVALID, _l("The resident cancelled this voucher."))
    if voucher.serve_date != local_date(now):
        return Redemption(Outcome.INVALID, _l("This voucher is for %(date)s.", date=voucher.serve_date.isoformat()))
    if voucher.status == VoucherStatus.EXPIRED or now >= voucher.valid_until:
        return Redemption(Outcome.INVALID, _l("Serving hours are over: this voucher has expired."))
    if now < voucher.valid_from:
        return Redemption(Outcome.INVALID, _l("Serving has not started yet: redeem it during serving hours."))
    return Redemption(Outcome.INVALID, _l("This voucher cannot be redeemed."))


def expire_vouchers(session_now: datetime) -> int:
    """Booked vouchers whose serving hours are over become expired; idempotent and set-based.

    One INSERT … SELECT writes an audit event per voucher and one UPDATE expires them all, whatever
    their number (for the scheduler and `flask meals expire`).
    """
    over = sa.and_(Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until <= session_now)
    columns = ["at", "actor_label", "action", "object_type", "object_id", "ip"]
    rows = sa.select(
        sa.literal(session_now, UTCDateTime), sa.literal("system"), sa.literal("meal.expire"),
        sa.literal("vouchers"), sa.cast(Voucher.id, sa.String), sa.literal(""),
    ).where(over)
    db.session.execute(sa.insert(AuditEvent).from_select(columns, rows))
    result = db.session.execute(
        sa.update(Voucher).where(over).values(status=VoucherStatus.EXPIRED, expired_at=session_now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount

