"""Redeeming a voucher at an outlet: exactly once, and checked in the statement that redeems it.

A scan names the code and the counter's sign-in (account id and session version). The redeeming
UPDATE itself requires that this is a live outlet staff sign-in (`accounts.sessions.is_live`), that
the voucher is for the counter's outlet, the outlet of the counter's own approved company, for today,
inside serving hours and still booked. Among any number of simultaneous scans exactly one changes
the row; the others are told when it was redeemed.

The answer comes with the day's counts for the counter's screen. One implementation serves both
databases, in the request's transaction: the conditional UPDATE … RETURNING (SQLite ≥ 3.35 has it),
the audit row, the day's counter moved and read back in one UPDATE … RETURNING; a scan that redeemed
nothing reads the voucher to say why. (PostgreSQL's one-statement variant, outside the request's
transaction, was not fast enough to keep a second implementation: docs/BENCHMARKS.md.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.accounts import sessions
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.meals import codes, reports
from marketplace.meals.models import MealDay, Outlet, Voucher, VoucherStatus
from marketplace.meals.reports import DayCounts
from marketplace.meals.timing import local_date
from marketplace.organisations.models import Organisation, OrgStatus


class Outcome(StrEnum):
    """What the outlet is told, in one word."""

    VALID = "valid"
    USED = "used"
    INVALID = "invalid"


@dataclass
class Redemption:
    """The answer to one scan: the outcome, why, when a used voucher was redeemed, and the counter's
    outlet with its day's counts.

    `outlet_id` is None when the sign-in has no outlet of an approved company; `counter_live` is
    False when the session names no enabled outlet staff account with that session version: the
    caller refuses the request as it would any page.
    """

    outcome: Outcome
    reason: Any = ""
    redeemed_at: datetime | None = None
    outlet_id: int | None = None
    counts: DayCounts | None = None
    counter_live: bool = True


_v, _u, _d = Voucher.__table__.c, User.__table__.c, MealDay.__table__.c
_o, _org = Outlet.__table__.c, Organisation.__table__.c
_live_counter = sa.and_(sessions.is_live(sa.bindparam("b_user"), sa.bindparam("b_version")),
                        _u.role == Role.OUTLET_STAFF)
# The counter's outlet: of the counter's own company, and the company approved.
_counter_outlet = (
    sa.select(_u.outlet_id).where(_live_counter)
    .join(Outlet, sa.and_(_o.id == _u.outlet_id, _o.organisation_id == _u.organisation_id))
    .join(Organisation, sa.and_(_org.id == _o.organisation_id, _org.status == OrgStatus.APPROVED))
)
_redeemable = sa.and_(_v.code == sa.bindparam("b_code"), _v.serve_date == sa.bindparam("b_day"),
                      _v.status == VoucherStatus.BOOKED, _v.valid_from <= sa.bindparam("b_now"),
                      _v.valid_until > sa.bindparam("b_now"))
_redeemed = {"status": VoucherStatus.REDEEMED, "redeemed_at": sa.bindparam("b_now"),
             "redeemed_by_id": sa.bindparam("b_user")}
_scanned = Voucher.__table__.alias("scanned")
_SCANNED_COLUMNS = [_scanned.c[name].label(f"v_{name}") for name in
                    ("outlet_id", "status", "serve_date", "valid_from", "valid_until", "redeemed_at")]
_probe = sa.select(sa.literal(1).label("one")).subquery("probe")


# Built once (a counter scans voucher after voucher).
REDEEM = (sa.update(Voucher.__table__).where(_redeemable, _v.outlet_id == _counter_outlet.scalar_subquery())
          .values(**_redeemed).returning(_v.id, _v.outlet_id))
# The counter row moved by this redemption, returned as the counter's screen shows it.
BUMP = (sa.update(MealDay.__table__)
        .where(_d.outlet_id == sa.bindparam("b_outlet"), _d.serve_date == sa.bindparam("b_day"))
        .values(redeemed=_d.redeemed + 1).returning(_d.quota, _d.booked, _d.redeemed, _d.expired))
# A scan that redeemed nothing: is the sign-in live, which outlet is it, the voucher as it is now,
# and the outlet's counter row of the day.
_day = MealDay.__table__.alias("day")
SCANNED = sa.select(
    sa.select(_u.id).where(_live_counter).scalar_subquery().label("live_user"),
    _counter_outlet.scalar_subquery().label("my_outlet"), *_SCANNED_COLUMNS,
    _day.c.quota, _day.c.booked, _day.c.redeemed, _day.c.expired,
).select_from(_probe.outerjoin(_scanned, _scanned.c.code == sa.bindparam("b_code")).outerjoin(
    _day, sa.and_(_day.c.outlet_id == _counter_outlet.scalar_subquery(), _day.c.serve_date == sa.bindparam("b_day"))))


def redeem(typed: str, *, counter: Any, now: datetime) -> Redemption:
    """Redeem a voucher at the counter's outlet: one atomic conditional UPDATE, exactly one winner.

    `counter` names the outlet staff sign-in scanning (`id` and `session_version`: a `User`, or the
    session's `SessionAccount`); its outlet and company are checked inside the same UPDATE. Runs in
    the caller's transaction (the request's), which commits it.
    """
    code = codes.normalise(typed)
    well_formed = len(code) == codes.VOUCHER_LENGTH and codes.is_valid(code)
    values = {"b_code": code if well_formed else "", "b_user": counter.id, "b_version": counter.session_version,
              "b_day": local_date(now), "b_now": now}
    connection = db.session.connection()
    # Simultaneous scans: PostgreSQL makes the others wait on the row and re-check the condition, so
    # they change nothing; SQLite runs one writer at a time.
    if well_formed and (won := connection.execute(REDEEM, values).first()) is not None:
        audit.record_now("meal.redeem", actor_id=values["b_user"], object_type="vouchers", object_id=won.id,
                         after={"outlet_id": won.outlet_id})
        counted = connection.execute(BUMP, {"b_outlet": won.outlet_id, "b_day": values["b_day"]}).first()
        return Redemption(Outcome.VALID, redeemed_at=now, outlet_id=won.outlet_id,
                          counts=reports.day_counts(won.outlet_id, values["b_day"], counted))
    # A new statement: under READ COMMITTED it sees the winner of a race that made the UPDATE wait.
    row = connection.execute(SCANNED, values).one()
    counted = None if row.quota is None else (row.quota, row.booked, row.redeemed, row.expired)
    counts = reports.day_counts(row.my_outlet, values["b_day"], counted) if row.my_outlet is not None else None
    return _refused(row, ScannedVoucher.of(row), code, well_formed, now, counts)


class ScannedVoucher(NamedTuple):
    """The scanned voucher as a result row holds it (every field None when no voucher has the code)."""

    outlet_id: int | None
    status: str | None
    serve_date: date | None
    valid_from: datetime | None
    valid_until: datetime | None
    redeemed_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> ScannedVoucher:
        return cls._make(getattr(row, f"v_{name}") for name in cls._fields)


def _refused(row: Any, voucher: ScannedVoucher, code: str, well_formed: bool, now: datetime,
             counts: DayCounts | None) -> Redemption:
    """The answer to a scan that redeemed nothing: no live sign-in, no outlet, or why not this voucher."""
    if row.live_user is None:
        return Redemption(Outcome.INVALID, counter_live=False)
    if row.my_outlet is None:
        return Redemption(Outcome.INVALID, _l("This sign-in is not assigned to an outlet of an approved company."))
    if not code:
        result = Redemption(Outcome.INVALID, _l("Type or scan a voucher code."))
    elif not well_formed:
        result = Redemption(Outcome.INVALID, _l("This is not a voucher code: check it for a typo."))
    else:
        result = _explain(voucher, row.my_outlet, now)
    result.outlet_id, result.counts = row.my_outlet, counts
    return result


def _explain(voucher: ScannedVoucher, outlet_id: int, now: datetime) -> Redemption:
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
