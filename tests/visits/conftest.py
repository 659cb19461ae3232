"""Fixtures of the visits tests: a movable clock, and households with their visit plans."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask

from marketplace import clock
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.visits import plans
from tests.conftest import make_need


@pytest.fixture
def at(app: Flask) -> Iterator[Callable[[datetime], None]]:
    """Set the app's clock (requests and the domain read it) to a moment."""

    def move(moment: datetime) -> None:
        app.config["CLOCK"] = lambda: moment

    yield move
    app.config.pop("CLOCK", None)


def planned_household(status: str = "draft", **household: object) -> Household:
    """A household of 北京街道 (低保, elderly: visited every 30 days by default) with its plan."""
    need = make_need(status, household=household or None)
    plans.sync(clock.now())
    db.session.commit()
    return db.session.get(Household, need.household_id)


DAY = timedelta(days=1)
