"""The public list's orders, walked page by page: urgent first then oldest (the default), oldest
first, newest first; each page read as index ranges (needs/browse.py), every need exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.needs.browse import BrowseFilter, browse
from tests.conftest import make_need

SAME_MOMENT = 3  # needs 3, 4 and 5 share one publication time: the id breaks the tie


@pytest.fixture
def needs(app):  # type: ignore[no-untyped-def]
    start = clock.now() - timedelta(days=30)
    made = []
    for i in range(11):
        need = make_need("published")
        need.is_urgent = i % 3 == 1
        offset = SAME_MOMENT if SAME_MOMENT <= i <= SAME_MOMENT + 2 else i
        need.published_at = start + timedelta(hours=(offset * 7) % 11)
        if i == 10:
            need.district_code, need.street_code = "440106", None  # 天河区: outside the district filter
        made.append(need)
    db.session.commit()
    return made


def _walk(f: BrowseFilter, page: int) -> list[int]:
    seen, cursor, pages = [], "", 0
    while True:
        shown = browse(f, after=cursor or "", limit=page)
        seen += [n.id for n in shown.needs]
        cursor = shown.next_cursor
        pages += 1
        assert pages < 20, "paging never ended"
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["", "waiting", "newest"])
def test_every_order_pages_through_every_need_once_in_order(needs, sort):
    for district in ("", "440104"):
        shown = [n for n in needs if not district or n.district_code == district]
        if sort == "waiting":
            expected = sorted(shown, key=lambda n: (n.published_at, n.id))
        elif sort == "newest":
            expected = sorted(shown, key=lambda n: (n.published_at, n.id), reverse=True)
        else:
            expected = sorted(shown, key=lambda n: (not n.is_urgent, n.published_at, n.id))
        for page in (1, 3, 4, 20):  # a page boundary inside each group, between them, and none
            assert _walk(BrowseFilter(sort=sort, district=district), page) == [n.id for n in expected], (district, page)


def test_urgent_only_pages_stay_among_the_urgent(needs):
    urgent = sorted((n for n in needs if n.is_urgent), key=lambda n: (n.published_at, n.id))
    assert _walk(BrowseFilter(urgent_only=True), 2) == [n.id for n in urgent]
