"""The demo shows matching: organisations with capability profiles, a pending offer and a declined one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.matching.models import Offer
from marketplace.organisations.models import Organisation
from tests.conftest import load_demo


@pytest.fixture
def loaded(app):  # type: ignore[no-untyped-def]
    load_demo(app)
    return app


def _offers() -> list[tuple[str, str | None]]:
    return [(o.status, o.reason) for o in db.session.scalars(sa.select(Offer).order_by(Offer.id))]


def test_the_demo_has_profiles_a_pending_and_a_declined_offer_and_loads_once(loaded):
    profiled = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                                 .where(Organisation.capacity_open.is_not(None)))
    assert profiled >= 6
    assert _offers() == [("requested", None), ("rejected", "outside_area")]
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _offers() == [("requested", None), ("rejected", "outside_area")]
