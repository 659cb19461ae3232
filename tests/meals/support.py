"""Factories and a fixed clock for the meal tests: outlets, approved pledges, outlet staff, bookings.

The fixtures built on them are in tests/meals/conftest.py; other features' tests import the factories
from here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.meals import outlets, pledges, vouchers
from marketplace.meals.models import MealPledge, Outlet
from marketplace.meals.timing import at_local, local_date
from marketplace.organisations.models import Organisation
from tests.conftest import PASSWORD, make_org, make_user, sign_in

LUNCH = (time(11, 0), time(14, 0))
_numbers = iter(range(1, 10**6))


class Clock:
    """The app's clock, fixed until a test moves it."""

    def __init__(self, app: Flask, moment: datetime) -> None:
        self.app, self.moment = app, moment
        app.config["CLOCK"] = lambda: self.moment

    @property
    def today(self) -> date:
        """The Guangzhou date of the clock."""
        return local_date(self.moment)

    def set(self, day: date, hour: int, minute: int = 0) -> datetime:
        """Move to a Guangzhou wall-clock time."""
        self.moment = at_local(day, hour, minute)
        return self.moment

    def next_day(self, hour: int = 12) -> datetime:
        """Tomorrow at `hour` (noon: inside the lunch hours)."""
        return self.set(self.today + timedelta(days=1), hour)


def fixed_clock(app: Flask) -> Iterator[Clock]:
    """For the `clock` fixture (tests/meals/conftest.py): today, 12:00 in Guangzhou, inside the lunch
    hours of every test outlet."""
    fixed = Clock(app, at_local(local_date(datetime.now().astimezone()), 12))
    yield fixed
    app.config.pop("CLOCK", None)


def make_company(name: str | None = None, status: str = "approved") -> Organisation:
    """An approved company with one member."""
    return make_org(kind="company", status=status, name=name)


def make_outlet(company: Organisation | None = None, *, street: str = "440104003", hours: tuple[time, time] = LUNCH,
                name: str = "粤味餐厅") -> Outlet:
    """An outlet registered through the real operation by the company's member."""
    company = company or make_company()
    outlet = outlets.create_outlet(actor=company.members[0], details=outlets.OutletDetails(
        name=name, address="北京路88号", street_code=street, serves_from=hours[0], serves_until=hours[1]))
    db.session.commit()
    return outlet


def approve_pledge(outlet: Outlet, *, meals: int = 10, start: date, days: int = 7, weekdays: int = 127) -> MealPledge:
    """A pledge made by the company and approved by an admin."""
    member = outlet.organisation.members[0]
    pledge = pledges.create_pledge(outlet, actor=member, meals_per_day=meals, starts_on=start,
                                   ends_on=start + timedelta(days=days - 1), weekdays=weekdays, today=start)
    pledges.review_pledge(pledge, actor=make_user(Role.ADMIN), approve=True, now=at_local(start, 9))
    db.session.commit()
    return pledge


def make_outlet_staff(outlet: Outlet) -> User:
    """An outlet staff account assigned to the outlet."""
    user = accounts.create_user(f"outlet-staff-{next(_numbers)}@example.cn", PASSWORD, Role.OUTLET_STAFF,
                                organisation_id=outlet.organisation_id)
    outlets.assign_staff(user, outlet)
    db.session.commit()
    return user


def outlet_client(app: Flask, outlet: Outlet) -> FlaskClient:
    """A client signed in as staff of the outlet."""
    user = make_outlet_staff(outlet)
    client = app.test_client()
    sign_in(client, user)
    client.user = user  # type: ignore[attr-defined]
    return client


def book(outlet: Outlet, phone: str, clock: Clock, day: date | None = None, code: str = "") -> vouchers.Booking:
    """Book through the domain operation and commit."""
    booking = vouchers.book(outlet.id, day or clock.today, phone=phone, eligibility_code=code, now=clock.moment)
    db.session.commit()
    return booking


def phone(n: int) -> str:
    """A distinct, well-formed mobile number."""
    return f"139{n:08d}"
