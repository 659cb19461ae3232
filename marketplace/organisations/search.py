"""What an organisation is found by in the staff list (indexed on flush)."""

from __future__ import annotations

from marketplace.organisations.models import Organisation, OrganisationSearch
from marketplace.search import index
from marketplace.search.labels import in_every_language
from marketplace.search.text import Document, Query
from marketplace.taxonomy import NEED_CATEGORIES, ORGANISATION_KINDS

WATCHED = ("name", "description", "kind", "category_rows", "regions")


def document(org: Organisation) -> Document:
    """Name; description, kind and the services it offers in Chinese and English, its regions."""
    labels = [text for code in org.categories for text in in_every_language(NEED_CATEGORIES.get(code))]
    return Document.of(org.name, [org.description, *in_every_language(ORGANISATION_KINDS.get(org.kind)), *labels,
                                  *(region.name for region in org.regions)])


def entry(org: Organisation) -> OrganisationSearch:
    """The organisation's search row, attached when it has none yet."""
    if org.search_entry is None:
        org.search_entry = OrganisationSearch()
    return org.search_entry


def match(query: Query) -> index.Match:
    """The organisation_search condition of a search (the staff list of organisations)."""
    return index.match(OrganisationSearch.__table__, Organisation.id, query)


index.register(Organisation, entry=entry, document=document, watched=WATCHED)
