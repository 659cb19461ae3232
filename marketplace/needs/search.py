"""What a need is found by: its title first, then its story, labels and places (indexed on flush)."""

from __future__ import annotations

from marketplace.needs.models import Need, NeedSearch
from marketplace.regions.service import name_of
from marketplace.search import index
from marketplace.search.labels import in_every_language
from marketplace.search.text import Document
from marketplace.taxonomy import HOUSEHOLD_GROUPS, NEED_CATEGORIES, NEED_KINDS

# Changing any of these changes what the need is found by.
WATCHED = ("title", "story", "category", "kind", "district_code", "street_code", "household_id")


def document(need: Need) -> Document:
    """Title; story, category, kind and household-group labels in Chinese and English, district and street.

    The group (特殊困难老人, 困难学生 …) is a hardship category, not personal data: it is what a
    helper looks for when typing 老人 or 学生, words the pseudonymous story may not use.
    """
    places = [name_of(need.district_code), name_of(need.street_code)]  # codes: what a flush knows
    group = need.household.group if need.household is not None else None
    labels = [*in_every_language(NEED_CATEGORIES.get(need.category)), *in_every_language(NEED_KINDS.get(need.kind)),
              *in_every_language(HOUSEHOLD_GROUPS.get(group or ""))]
    return Document.of(need.title, [need.story, *labels, *places])


def entry(need: Need) -> NeedSearch:
    """The need's search row, attached when it has none yet."""
    if need.search_entry is None:
        need.search_entry = NeedSearch()
    return need.search_entry


index.register(Need, entry=entry, document=document, watched=WATCHED)
