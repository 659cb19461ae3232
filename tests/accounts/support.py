"""Helpers of the sign-in tests: the clock, wrong and right passwords, TOTP codes, enrolment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from marketplace.accounts.models import User
from marketplace.accounts.second_factor_models import SecondFactor
from marketplace.extensions import db
from tests.conftest import PASSWORD

START = datetime(2026, 12, 2, 2, 0, 0, tzinfo=UTC)  # 10:00 in Guangzhou, the start of a 30-second step


class Clock:
    """The app's clock, fixed until a test moves it."""

    def __init__(self, app: Flask) -> None:
        self.moment = START
        app.config["CLOCK"] = lambda: self.moment

    def advance(self, seconds: float) -> datetime:
        """Move the clock on."""
        self.moment += timedelta(seconds=seconds)
        return self.moment


def attempt(client: FlaskClient, email: str, password: str = "wrong-password", *, ip: str = "127.0.0.1",
            headers: dict[str, str] | None = None) -> TestResponse:
    """One sign-in attempt from a client address."""
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers or {})


def secret_of(user: User) -> str:
    """The TOTP secret stored for the account."""
    db.session.expire_all()
    return db.session.get(SecondFactor, user.id).secret


def totp(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at a moment."""
    return pyotp.TOTP(secret).at(moment)


def candidate_secret(client: FlaskClient) -> str:
    """The secret the enrolment page is showing (kept in the session until confirmed)."""
    with client.session_transaction() as session:
        return session["second_factor_candidate"]["secret"]


RECOVERY = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


def enrol(client: FlaskClient, clock: Clock) -> tuple[str, list[str]]:
    """Enrol through the pages (from a held sign-in or a signed-in session): the secret and the
    recovery codes shown; the clock then moves to the next step, as a person takes a moment."""
    page = client.get("/account/second-factor/setup")
    assert page.status_code == 200, page.status_code
    secret = candidate_secret(client)
    done = client.post("/account/second-factor/setup", data={"code": totp(secret, clock.moment)})
    assert done.status_code == 200
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    clock.advance(30)
    return secret, codes


def password_step(client: FlaskClient, user: User, *, ip: str = "127.0.0.1") -> TestResponse:
    """The right password; the answer says what comes next."""
    return attempt(client, user.email, PASSWORD, ip=ip)


def code_step(client: FlaskClient, code: str, *, ip: str = "127.0.0.1") -> TestResponse:
    """The sign-in's second step."""
    return client.post("/login/code", data={"code": code}, environ_base={"REMOTE_ADDR": ip})
