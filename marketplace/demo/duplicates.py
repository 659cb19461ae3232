"""A duplicate pair to merge (一户一档): a household on file twice from before the one-file rule.

The assistance system's household YX-001 was also entered years ago by a street office, with the
same ID number, name and phone. Such a row can no longer be made through the intake (a referral with
that number joins the household), so the demo writes it directly as the old import left it: without
the number's key, with one referral still waiting for triage. Staff of 越秀区 find the pair on
/staff/households/duplicates and merge it. Idempotent: skipped once present or merged.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.demo.loop import HOMES, SOURCE, id_number, payload, phone, referral_id
from marketplace.extensions import db
from marketplace.households.intake import content_hash
from marketplace.households.models import Household, HouseholdMerge, Referral
from marketplace.regions.models import STREET, Region

LEGACY_SOURCE, HOME = "street-office-2019", "YX-001"


def load_duplicates() -> None:
    """Write the old duplicate of the demo household YX-001, unless it is there or was merged."""
    external_id = f"LEGACY-{HOME}"
    for model in (Household, HouseholdMerge):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
                model.source == LEGACY_SOURCE, model.external_id == external_id)):
            return
    home = next(h for h in HOMES if h.key == HOME)
    kept = db.session.scalar(sa.select(Household).join(Referral).where(
        Referral.source == SOURCE, Referral.external_id == referral_id(home)))
    street = db.session.scalar(sa.select(Region).where(Region.name == home.street, Region.level == STREET))
    if kept is None or street is None:
        return  # the loop's households come first
    today, entered = clock.today(), clock.now() - timedelta(days=2 * 365)
    old = Household(source=LEGACY_SOURCE, external_id=external_id, category=home.category, group=home.group,
                    district_code=street.parent_code, street_code=street.code, members=home.members,
                    head_name=home.name, phone=phone(home), address=street.parent.name + home.address,
                    id_number=id_number(home, street.parent_code, today), created_at=entered)
    db.session.add(old)
    db.session.flush()
    body = payload(home, street, entered, today)
    body["external_id"] = f"LEGACY-R-{HOME}"
    need = body["need"] | {"title": "一台电风扇", "description": "旧档转介：夏季无风扇，老人怕热。",
                           "estimated_value_fen": 19900, "category": "daily_living", "kind": "wish"}
    db.session.add(Referral(
        source=LEGACY_SOURCE, external_id=body["external_id"], household=old, district_code=street.parent_code,
        referred_at=entered, need_kind=need["kind"], need_category=need["category"], title=need["title"],
        description=need["description"], quantity=1, estimated_value_fen=need["estimated_value_fen"],
        urgency="normal", needed_by=today + timedelta(days=60), content_hash=content_hash(body), payload=body,
    ))
    db.session.flush()
