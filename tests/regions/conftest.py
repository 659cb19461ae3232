"""Regions are loaded once per test session: a test that gives one an office takes it back after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.regions.models import Region


@pytest.fixture(autouse=True)
def _no_offices_after(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    db.session.rollback()
    db.session.execute(sa.update(Region).values(office_name="", office_phone="", office_address=""))
    db.session.commit()
