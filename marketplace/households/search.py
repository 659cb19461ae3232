"""What a referral is found by in the staff list (indexed on flush); households are found by exact keys."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.households.models import Household, Referral, ReferralSearch
from marketplace.regions.service import name_of
from marketplace.search import index
from marketplace.search.labels import in_every_language
from marketplace.search.text import Document, Query
from marketplace.taxonomy import NEED_CATEGORIES, NEED_KINDS

WATCHED = ("title", "description", "need_category", "need_kind", "district_code", "household_id")


def document(referral: Referral) -> Document:
    """Title; description, labels in Chinese and English, district and street, source and external id."""
    street = referral.household.street_code if referral.household is not None else None
    return document_of(title=referral.title, description=referral.description, need_category=referral.need_category,
                       need_kind=referral.need_kind, district_code=referral.district_code, street_code=street,
                       source=referral.source, external_id=referral.external_id)


def document_of(*, title: str, description: str, need_category: str, need_kind: str, district_code: str,
                street_code: str | None, source: str, external_id: str) -> Document:
    """The same document from the values alone, for a batch that writes its rows without ORM objects."""
    labels = [*in_every_language(NEED_CATEGORIES.get(need_category)), *in_every_language(NEED_KINDS.get(need_kind))]
    return Document.of(title, [description, *labels, name_of(district_code), name_of(street_code), source,
                               external_id])


def entry(referral: Referral) -> ReferralSearch:
    """The referral's search row, attached when it has none yet."""
    if referral.search_entry is None:
        referral.search_entry = ReferralSearch()
    return referral.search_entry


def match(query: Query) -> index.Match:
    """The referral_search join, condition and rank of a search (the staff referral list)."""
    return index.match(ReferralSearch.__table__, Referral.id, query)


index.register(Referral, entry=entry, document=document, watched=WATCHED)


PERSONAL = ("head_name", "phone", "id_number")


@sa.event.listens_for(Session, "before_flush")
def _stamp_lookup_keys(session: Session, _context: Any, _instances: Any) -> None:
    """Whatever writes a household's name, phone or ID number, its keyed hashes follow in the same flush."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Household) and (obj in session.new or index.changed(obj, PERSONAL)):
            obj.stamp_lookup_keys()
