"""Transfers: departments seeded, and a clock a test may move forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask

from marketplace import clock
from marketplace.extensions import db
from marketplace.transfers import service
from marketplace.transfers.models import Department


class Clock:
    """The app's time, moved by the test (`later(days=11)`)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.moment: datetime = clock.system_now()
        app.config["CLOCK"] = lambda: self.moment

    def later(self, **delta: float) -> datetime:
        self.moment = self.moment + timedelta(**delta)
        return self.moment


@pytest.fixture
def moving_clock(app: Flask) -> Iterator[Clock]:
    moving = Clock(app)
    yield moving
    app.config.pop("CLOCK", None)


@pytest.fixture
def departments(app: Flask) -> dict[str, Department]:
    service.ensure_default_departments()
    db.session.commit()
    return {d.name: d for d in db.session.scalars(db.select(Department))}
