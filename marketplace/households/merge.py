"""Duplicate households and merging them: what was on file twice becomes one file (一户一档).

Likely duplicates are pairs with the same ID number, or the same name and phone, compared as keyed
hashes (search/personal.py), never as values. A merge moves everything that points at the merged
household (needs, referrals, projects, and any table added later with a foreign key to households)
to the kept one in set-based UPDATEs, deletes the merged row, and leaves a `HouseholdMerge` so its
old number redirects and its source's household id still finds the kept household.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from marketplace.accounts.scope import covers, region_filter
from marketplace.audit import service as audit
from marketplace.changes import stamp as changes
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import signals
from marketplace.households.models import Household, HouseholdMerge, Referral
from marketplace.needs.models import Need
from marketplace.search import index

SAME_ID_NUMBER, SAME_NAME_AND_PHONE = "id_number", "name_phone"
REASONS = {SAME_ID_NUMBER: _l("same ID number"), SAME_NAME_AND_PHONE: _l("same name and phone")}
MOST_PAIRS = 200


class MergeError(DomainError):
    """The merge was refused; the message says why."""


@dataclass
class DuplicatePair:
    """Two households that are probably one, the older first."""

    first: Household
    second: Household
    reason: str

    @property
    def reason_label(self) -> str:
        """Why they look alike, in the reader's language."""
        return str(REASONS[self.reason])


def duplicate_pairs(actor: Any = None, *, limit: int = MOST_PAIRS) -> list[DuplicatePair]:
    """Likely duplicates, both of each pair in the actor's scope (every region without an actor).

    Two equi-joins (each a hash or index join on the digest columns) rather than one join on an OR,
    which would compare every household with every other."""
    found: dict[tuple[int, int], DuplicatePair] = {}
    for reason, keys in ((SAME_ID_NUMBER, ("id_number_hash",)), (SAME_NAME_AND_PHONE, ("name_hash", "phone_hash"))):
        a, b = aliased(Household), aliased(Household)
        same = [getattr(a, key) == getattr(b, key) for key in keys]
        query = (sa.select(a, b).join(b, sa.and_(a.id < b.id, *same))
                 .where(*(getattr(a, key).is_not(None) for key in keys)).order_by(a.id, b.id).limit(limit))
        if actor is not None:
            query = query.where(region_filter(actor, a.district_code, a.street_code),
                                region_filter(actor, b.district_code, b.street_code))
        for first, second in db.session.execute(query):
            found.setdefault((first.id, second.id), DuplicatePair(first, second, reason))
    return [found[pair] for pair in sorted(found)][:limit]


def _pointers() -> list[sa.Column]:
    """Every column of every table that refers to a household (so a feature added later moves too)."""
    households = Household.__table__
    return [fk.parent for table in db.metadata.sorted_tables if table is not HouseholdMerge.__table__
            for fk in table.foreign_keys if fk.column.table is households]


def merge(kept: Household, merged: Household, *, actor: Any, reason: str = "") -> HouseholdMerge:
    """Merge `merged` into `kept`: staff covering both, one district; audited; the old id redirects."""
    if kept.id == merged.id:
        raise MergeError(_l("a household cannot be merged into itself"))
    if not (covers(actor, kept) and covers(actor, merged)):
        raise MergeError(_l("only staff covering both households' regions may merge them"))
    if kept.district_code != merged.district_code:
        raise MergeError(_l("households of different districts cannot be merged"))
    kept_id, merged_id = kept.id, merged.id
    # Both rows locked in one order, so two merges of one pair (either way round) wait for each other;
    # the second finds one of them gone.
    locked = db.session.scalars(sa.select(Household.id).where(Household.id.in_((kept_id, merged_id)))
                                .order_by(Household.id).with_for_update()).all()
    if len(locked) != 2:
        raise MergeError(_l("one of these households was merged already"))
    referral_ids = list(db.session.scalars(sa.select(Referral.id).where(Referral.household_id == merged_id)))
    need_count = db.session.scalar(sa.select(sa.func.count(Need.id)).where(Need.household_id == merged_id))
    key, source, external_id = merged.identity_key, merged.source, merged.external_id
    db.session.flush()
    signals.merging.send(merged_id, kept_id=kept_id)
    for column in _pointers():
        db.session.execute(sa.update(column.table).where(column == merged_id).values({column.name: kept_id})
                           .execution_options(synchronize_session=False))
    db.session.execute(sa.update(HouseholdMerge).where(HouseholdMerge.kept_id == merged_id)
                       .values(kept_id=kept_id).execution_options(synchronize_session=False))
    db.session.execute(sa.delete(Household).where(Household.id == merged_id)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()  # what the session holds still names the merged household
    db.session.expunge(merged)
    record = HouseholdMerge(merged_id=merged_id, kept_id=kept_id, source=source, external_id=external_id,
                            reason=(reason or "").strip()[:2000], merged_by_id=getattr(actor, "id", None))
    db.session.add(record)
    if key and not kept.identity_key:
        kept.identity_key = key  # the merged row, which held it, is gone
    changes.touch_many(referral_ids)  # their `household` in the status object is the kept one's now
    for referral_id in referral_ids:
        index.reindex(db.session, db.session.get(Referral, referral_id))  # found by the kept one's street
    db.session.flush()
    audit.record("household.merge", actor=actor, obj=kept, region_code=kept.region_code,
                 after={"merged_id": merged_id, "reason": record.reason, "moved_referrals": len(referral_ids),
                        "moved_needs": need_count or 0})
    return record


def merged_into(household_id: int) -> list[int]:
    """The old numbers of the households merged into this one."""
    return list(db.session.scalars(sa.select(HouseholdMerge.merged_id).where(HouseholdMerge.kept_id == household_id)))
