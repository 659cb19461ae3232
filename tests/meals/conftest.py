"""Fixtures every meals test shares: the app speaking English and a fixed clock.

The base fixtures (`app`, `client`, `as_role`, the databases) are in tests/conftest.py; the
factories (outlets, pledges, bookings) in tests/meals/support.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.meals.support import Clock, fixed_clock


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    """The base app, with pages and messages in their English source whatever the Chinese catalog
    says (the default language is Chinese)."""
    before = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    yield app
    app.config["BABEL_DEFAULT_LOCALE"] = before


@pytest.fixture
def clock(app: Flask) -> Iterator[Clock]:
    """Today at noon in Guangzhou (the app's injectable clock)."""
    yield from fixed_clock(app)
