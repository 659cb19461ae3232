"""Vouchers: book, show, cancel, expire. The rules of DESIGN.md §5 (redeeming is in `redemption`).

A resident is known only by a keyed hash of the phone number.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.meals import codes, eligibility, phones, quota
from marketplace.meals.errors import AlreadyBooked, MealError
from marketplace.meals.models import MealDay, Outlet, Voucher, VoucherStatus
from marketplace.meals.timing import bookable_days, local_date, serving_window
from marketplace.organisations.models import OrgStatus
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
        raise AlreadyBooked(_l("this number already has a meal booked for that day"))
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
        raise AlreadyBooked(_l("this number already has a meal booked for that day")) from None
    return Booking(voucher, token)


def by_token(token: str) -> Voucher | None:
    """The voucher whose page secret this is."""
    return db.session.scalar(sa.select(Voucher).where(Voucher.token_hash == token_hash(token or "")))


def recover(*, phone: str, code: str = "", now: datetime) -> Booking:
    """A resident who lost the page gets it back (with a new page secret): with the code, that voucher;
    with the number alone, the next meal still to be eaten (today's before tomorrow's)."""
    digest = _phone_hash(phone)
    if code.strip():
        normalised = codes.normalise(code)
        voucher = db.session.scalar(
            sa.select(Voucher).where(Voucher.code == normalised, Voucher.phone_hash == digest)
        ) if codes.is_valid(normalised) else None
        if voucher is None:
            raise MealError(_l("No voucher matches this number and code."))
    else:
        voucher = db.session.scalar(
            sa.select(Voucher).where(Voucher.phone_hash == digest, Voucher.status == VoucherStatus.BOOKED,
                                     Voucher.valid_until > now).order_by(Voucher.valid_from, Voucher.id).limit(1)
        )
        if voucher is None:
            raise MealError(_l("This number has no meal booked for today or tomorrow. If you used another "
                               "number, or the meal is over, type the code as well."))
    token = secrets.token_urlsafe(18)
    voucher.token_hash = token_hash(token)
    return Booking(voucher, token)


def may_cancel(voucher: Voucher, now: datetime) -> bool:
    """Whether the resident may still give the meal back (what `cancel` checks in its UPDATE)."""
    return voucher.status == VoucherStatus.BOOKED and now < voucher.valid_until


def shown_state(voucher: Voucher, now: datetime) -> VoucherStatus:
    """The state the resident is told: a booked meal whose serving hours are over is expired already,
    before the scheduler's next run records it."""
    if voucher.status == VoucherStatus.BOOKED and now >= voucher.valid_until:
        return VoucherStatus.EXPIRED
    return VoucherStatus(voucher.status)


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


def expire_vouchers(session_now: datetime) -> int:
    """Booked vouchers whose serving hours are over become expired; idempotent and set-based.

    One UPDATE moves the days' expired counters, one INSERT … SELECT writes an audit event per voucher
    and one UPDATE expires them all, whatever their number (for the scheduler and `flask meals expire`).
    """
    over = sa.and_(Voucher.status == VoucherStatus.BOOKED, Voucher.valid_until <= session_now)
    # The days' counters first, while `over` still finds the vouchers: one UPDATE for every day touched.
    expiring = sa.select(sa.func.count()).where(
        Voucher.outlet_id == MealDay.outlet_id, Voucher.serve_date == MealDay.serve_date, over).scalar_subquery()
    db.session.execute(
        sa.update(MealDay).where(sa.exists().where(Voucher.outlet_id == MealDay.outlet_id,
                                                   Voucher.serve_date == MealDay.serve_date, over))
        .values(expired=MealDay.expired + expiring).execution_options(synchronize_session=False)
    )
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

