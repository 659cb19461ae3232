"""The meals demo: outlets of the caring companies in 越秀区, pledges, an outlet sign-in, and history.

Outlets, pledges, their approval and today's bookings go through the real operations (so the audit
trail is complete). The past two weeks of vouchers — booked, redeemed, expired, a few cancelled — are
written directly, because the booking rules rightly refuse past days; their phone numbers are made-up
demo numbers, stored, like every number, only as keyed hashes.

Idempotent: an outlet that exists (by company and name) is skipped whole, with its pledge and history.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.meals import codes, eligibility, outlets, pledges, vouchers
from marketplace.meals.errors import MealError
from marketplace.meals.models import MealDay, Outlet, Voucher
from marketplace.meals.phones import phone_hash
from marketplace.meals.timing import local_date, serving_window
from marketplace.organisations.models import Organisation, OrgStatus

OUTLET_EMAIL = "outlet01@shanlian.demo"
HISTORY_DAYS = 14
FUTURE_DAYS = 27


@dataclass(frozen=True)
class DemoOutlet:
    """An outlet of a demo company with the meals it pledges a day (weekdays: bit 0 = Monday)."""

    company: str
    name: str
    address: str
    street: str
    hours: tuple[time, time]
    meals: int
    weekdays: int = 127


OUTLETS = (
    DemoOutlet("广州粤味餐饮管理有限公司", "粤味茶餐厅（北京路店）", "越秀区北京路238号", "440104003",
               (time(11, 0), time(13, 30)), 30),
    DemoOutlet("广州粤味餐饮管理有限公司", "粤味茶餐厅（东山店）", "越秀区农林下路40号", "440104011",
               (time(11, 0), time(13, 30)), 20),
    DemoOutlet("广州粤味餐饮管理有限公司", "粤味粥粉面（六榕店）", "越秀区解放北路128号", "440104004",
               (time(17, 0), time(19, 30)), 25),
    DemoOutlet("羊城电器连锁有限公司", "羊城电器职工食堂（大塘）", "越秀区文明路98号", "440104017",
               (time(11, 30), time(13, 0)), 15, 0b0011111),
)


def load_meals(reviewer: User, password: str) -> list[tuple[str, str, str]]:
    """Create the missing outlets with their pledge, history and sign-in; returns (email, role, note)."""
    now = clock.now()
    for number, spec in enumerate(OUTLETS):
        company = db.session.scalar(sa.select(Organisation).where(
            Organisation.name == spec.company, Organisation.kind == "company",
            Organisation.status == OrgStatus.APPROVED))
        if company is None or _outlet(company, spec.name) is not None:
            continue
        outlet = _create(company, spec, reviewer, now)
        _history(outlet, spec, number, now)
        _today(outlet, number, now)
    first = db.session.scalar(sa.select(Outlet).where(Outlet.name == OUTLETS[0].name))
    if first is None:
        return []
    if accounts.find_by_email(OUTLET_EMAIL) is None:
        user = accounts.create_user(OUTLET_EMAIL, password, Role.OUTLET_STAFF,
                                    organisation_id=first.organisation_id, display_name="北京路店 收银台")
        outlets.assign_staff(user, first)
        _codes(reviewer, now)
    db.session.flush()
    return [(OUTLET_EMAIL, Role.OUTLET_STAFF.value, first.name)]


def _outlet(company: Organisation, name: str) -> Outlet | None:
    return db.session.scalar(sa.select(Outlet).where(Outlet.organisation_id == company.id, Outlet.name == name))


def _create(company: Organisation, spec: DemoOutlet, reviewer: User, now: Any) -> Outlet:
    member = company.members[0]
    outlet = outlets.create_outlet(actor=member, details=outlets.OutletDetails(
        name=spec.name, address=spec.address, street_code=spec.street, serves_from=spec.hours[0],
        serves_until=spec.hours[1]))
    today = local_date(now)
    start = today - timedelta(days=HISTORY_DAYS)
    # The pledge began two weeks ago: `today=start` lets the demo back-date it, as its history needs.
    pledge = pledges.create_pledge(outlet, actor=member, meals_per_day=spec.meals, starts_on=start,
                                   ends_on=today + timedelta(days=FUTURE_DAYS), weekdays=spec.weekdays, today=start)
    pledges.review_pledge(pledge, actor=reviewer, approve=True, now=now)
    return outlet


def _demo_phone(outlet_number: int, day: date, n: int) -> str:
    digest = int(hashlib.sha256(f"{outlet_number}:{day}:{n}".encode()).hexdigest()[:10], 16)
    return f"137{digest % 10**8:08d}"


def _history(outlet: Outlet, spec: DemoOutlet, number: int, now: Any) -> None:
    """Past days: most meals booked, most of those eaten, some expired, a few given back."""
    today = local_date(now)
    rows: list[Voucher] = []
    counters: dict[date, dict[str, int]] = {}
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        if not spec.weekdays >> day.weekday() & 1:
            continue
        start, end = serving_window(outlet, day)
        taken = spec.meals - (back * 3 + number) % max(spec.meals // 3, 1)
        for n in range(taken):
            kind = "cancelled" if n % 17 == 5 else "expired" if n % 7 == 3 else "redeemed"
            moment = start + timedelta(minutes=(n * 7) % max(int((end - start).total_seconds() // 60), 1))
            rows.append(Voucher(
                code=_code(), token_hash=vouchers.token_hash(secrets.token_urlsafe(18)), outlet_id=outlet.id,
                serve_date=day, valid_from=start, valid_until=end, phone_hash=phone_hash(_demo_phone(number, day, n)),
                status=kind, booked_at=start - timedelta(hours=3, minutes=n),
                redeemed_at=moment if kind == "redeemed" else None, cancelled_at=start if kind == "cancelled" else None,
                expired_at=end if kind == "expired" else None,
            ))
            counted = counters.setdefault(day, {"booked": 0, "redeemed": 0, "expired": 0})
            for name in ("booked", kind) if kind != "cancelled" else ():
                counted[name] += 1
    db.session.add_all(rows)
    for day, values in counters.items():  # the days' counters agree with their vouchers
        db.session.execute(sa.update(MealDay).where(MealDay.outlet_id == outlet.id, MealDay.serve_date == day)
                           .values(**values))


def _code() -> str:
    return codes.new_code(codes.VOUCHER_LENGTH)


def _today(outlet: Outlet, number: int, now: Any) -> None:
    """A few meals booked today (or tomorrow, once today's serving is over) through the real operation."""
    today = local_date(now)
    day = today if now < serving_window(outlet, today)[1] else today + timedelta(days=1)
    for n in range(3 + number):
        try:
            vouchers.book(outlet.id, day, phone=_demo_phone(number, day, n), now=now)
        except MealError:  # a weekday without meals at the staff canteen
            break


def _codes(reviewer: User, now: Any) -> None:
    """Two eligibility codes issued by the district caseworker (their codes were handed over, not kept)."""
    for note in ("个案 YX-2026-031", "个案 YX-2026-047"):
        eligibility.issue_code(actor=reviewer, note=note, valid_days=90, today=local_date(now))

