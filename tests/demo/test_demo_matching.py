"""The demo shows matching: organisations with capability profiles, a pending offer and a declined one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.matching.models import Offer
from marketplace.needs.models import Need
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
    assert _offers() == [("requested", None), ("rejected", "outside_area"), ("accepted", None)]
    result = loaded.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _offers() == [("requested", None), ("rejected", "outside_area"), ("accepted", None)]


def test_the_demo_kits_show_an_offer_accepted_in_part_with_the_rest_still_open(loaded):
    need = db.session.scalar(sa.select(Need).where(Need.title == "120套居家防跌倒套装"))
    accepted = db.session.scalar(sa.select(Offer).where(Offer.need_id == need.id))
    parts = sorted((c.quantity, c.organisation_id) for c in need.claims)
    assert (need.status, need.left) == ("published", 15)
    assert [q for q, _ in parts] == [25, 80] and (25, accepted.organisation_id) in parts
    page = loaded.test_client().get(f"/needs/{need.id}").get_data(as_text=True)
    assert "已认领 105 / 120" in page and "25 / 120" in page and "80 / 120" in page
