"""Fixtures of the matching tests: organisations with a capability profile, needs placed anywhere."""

from __future__ import annotations

from datetime import timedelta

from marketplace import clock
from marketplace.extensions import db
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation
from tests.conftest import make_need, make_org

BEIJING_STREET = "440104003"  # 越秀区 北京街道, where make_need places its needs
YUEXIU = "440104"
TIANHE = "440106"


def profiled_org(*, categories: list[str], regions: list[str], name: str | None = None,
                 **numbers: int | None) -> Organisation:
    """An approved organisation whose member stated this capability profile."""
    org = make_org(name=name, region=regions[0])
    organisations.update_capability(org, organisations.Capability(categories=categories, region_codes=regions,
                                                                  **numbers), actor=org.members[0])
    db.session.commit()
    return org


def placed_need(*, category: str = "daily_living", street: str | None = BEIJING_STREET, district: str = YUEXIU,
                waited_days: int = 0, urgent: bool = False, value_fen: int = 29900, title: str = "一台电饭煲"):  # type: ignore[no-untyped-def]
    """A published need moved to a place and category, published `waited_days` ago."""
    need = make_need("published")
    need.category, need.street_code, need.district_code = category, street, district
    need.is_urgent, need.value_fen, need.title = urgent, value_fen, title
    need.published_at = clock.now() - timedelta(days=waited_days, minutes=1)
    db.session.commit()
    return need
