"""The demo's matching: capability profiles for the approved organisations, a pending routed offer
and a declined one (idempotent: profiles are set once, offers made only while the demo has none)."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.matching import offers
from marketplace.matching.models import Offer
from marketplace.needs.models import Need, NeedStatus
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation

# credit-code order of seed.ORGANISATIONS' approved rows → (open at once, per month, min ¥, max ¥, hours)
PROFILES = [(5, 12, 50, 2000, 24), (8, 20, 0, 800, 12), (4, 8, 100, 3000, 48), (3, 6, 200, 5000, 24),
            (10, 30, 30, 500, 8), (2, 4, 1000, 20000, 72)]


def load_matching(staff: dict[str, User], orgs: list[Organisation]) -> None:
    """Profiles for the demo's approved organisations, then two routed offers in 越秀区."""
    for org, (at_once, month, low, high, hours) in zip(orgs, PROFILES * 3, strict=False):
        if org.capacity_open is not None or not org.members:
            continue
        organisations.update_capability(org, organisations.Capability(
            categories=org.categories, region_codes=[r.code for r in org.regions], capacity_open=at_once,
            capacity_month=month, value_min_fen=low * 100, value_max_fen=high * 100, response_hours=hours),
            actor=org.members[0])
    if db.session.scalar(sa.select(sa.func.count()).select_from(Offer)):
        return
    yuexiu = [org for org in orgs if any(r.code.startswith("440104") for r in org.regions) and org.members]
    needs = list(db.session.scalars(
        sa.select(Need).where(Need.status == NeedStatus.PUBLISHED, Need.claimed_by_id.is_(None),
                              Need.district_code == "440104").order_by(Need.id).limit(2)))
    if len(yuexiu) < 2 or len(needs) < 2:
        return
    caseworker = staff["440104"]
    offers.route(needs[0], organisation=yuexiu[0], actor=caseworker)  # waits for its answer
    declined = offers.route(needs[1], organisation=yuexiu[1], actor=caseworker)
    offers.decline(declined, actor=yuexiu[1].members[0], reason="outside_area",
                   text="")
    db.session.flush()
