"""Browsing published needs: filters, Chinese full-text search ranked by relevance, keyset paging.

Keyset paging (WHERE (sort key) > (last seen) ORDER BY ... LIMIT n) reads only one page of an
index whatever the page number, so browsing stays fast with a million needs; OFFSET would not.

A search (`q`) goes through the need_search index (marketplace/search/): the best matches first
(bm25 on SQLite, ts_rank on PostgreSQL), urgent before not urgent among equals, then the oldest.
Its pages are keyset too, over (rank, urgent, published, id). A rank depends only on the need's
own text on PostgreSQL; SQLite's bm25 also weighs how common each word is across all needs, so a
need published between two page loads can shift ranks a little: a reader paging on may then meet
a need twice or skip one near the page boundary, never an error. A term that is exactly the name
of a district or street filters by that place instead (see `_places`), and a word in too many
needs to rank comes in the usual order (see `browse`).
"""

from __future__ import annotations

import base64
import heapq
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.extensions import db
from marketplace.needs.models import Need, NeedSearch, NeedStatus
from marketplace.regions.models import STREET, Region
from marketplace.search import index, text

PAGE_SIZE = 20
SORTS = ("urgency", "waiting", "newest")
RELEVANCE = ""  # the default sort: best match when searching, else urgent first


@dataclass
class BrowseFilter:
    """What a reader narrows the published needs by."""

    district: str = ""
    street: str = ""
    category: str = ""
    kind: str = ""
    urgent_only: bool = False
    min_fen: int | None = None
    max_fen: int | None = None
    q: str = ""
    sort: str = RELEVANCE

    @property
    def query(self) -> text.Query:
        """The search terms (empty when nothing searchable was typed)."""
        return text.parse(self.q)

    @property
    def ranked(self) -> bool:
        """Whether results come best match first."""
        return self.sort not in SORTS and bool(self.query)


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last need's sort key (and its rank, when ranked)."""

    urgent: bool
    published_at: datetime
    need_id: int
    rank: float | None = None


def encode_cursor(need: Need, rank: float | None = None) -> str:
    """An opaque token for "after this need" in the current sort."""
    key: list[Any] = [int(need.is_urgent), need.published_at.isoformat(), need.id]
    raw = json.dumps(key if rank is None else [*key, rank])  # a float's repr reads back exactly
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Position | None:
    """The position a token stands for, or None if it is malformed (then paging restarts)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        urgent, published, need_id, *rest = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(published)
        if at.tzinfo is None or not isinstance(need_id, int) or len(rest) > 1:
            return None
        rank = float(rest[0]) if rest else None
        if rank is not None and rank != rank:  # NaN compares with nothing
            return None
        return Position(bool(urgent), at, need_id, rank)
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError):
        return None


def _filtered(f: BrowseFilter) -> sa.Select:
    # The cards name the street or district: joined in, not loaded one by one as each card is drawn.
    query = (sa.select(Need).options(joinedload(Need.district), joinedload(Need.street))
             .where(Need.status == NeedStatus.PUBLISHED))
    if f.street:
        query = query.where(Need.street_code == f.street)
    elif f.district:
        query = query.where(Need.district_code == f.district)
    if f.category:
        query = query.where(Need.category == f.category)
    if f.kind:
        query = query.where(Need.kind == f.kind)
    if f.urgent_only:
        query = query.where(Need.is_urgent.is_(True))
    if f.min_fen is not None:
        query = query.where(Need.value_fen >= f.min_fen)
    if f.max_fen is not None:
        query = query.where(Need.value_fen <= f.max_fen)
    return query


def _places(query: text.Query) -> tuple[text.Query, list[Any]]:
    """Terms that name a district or street become that filter; the other terms are searched.

    "越秀区" or "北京街道" then reads the needs of that place through the browse indexes in their
    usual order, instead of ranking every need of a district (each has the name in its tokens).
    """
    if not query:
        return query, []
    named = db.session.execute(sa.select(Region.name, Region.code, Region.level)
                               .where(Region.name.in_([t.text for t in query.terms]))).all()
    if not named:
        return query, []
    where: dict[str, list[Any]] = {}  # a name two streets share means either of them
    for name, code, level in named:
        where.setdefault(name, []).append((Need.street_code if level == STREET else Need.district_code) == code)
    remaining = text.Query(tuple(t for t in query.terms if t.text not in where))
    return remaining, [sa.or_(*either) for either in where.values()]


def search_match(query: text.Query) -> index.Match:
    """The need_search join, condition and rank of a search (staff lists use it too)."""
    return index.match(NeedSearch.__table__, Need.id, query)


def _after_in_urgency_order(after: Position) -> Any:
    """Later than `after` in (urgent first, then oldest, then id)."""
    later = sa.tuple_(Need.published_at, Need.id) > sa.tuple_(after.published_at, after.need_id)
    same_group_later = sa.and_(Need.is_urgent.is_(after.urgent), later)
    # After the last urgent need come all the non-urgent ones.
    return sa.or_(same_group_later, Need.is_urgent.is_(False)) if after.urgent else same_group_later


def _ordered(query: sa.Select, sort: str, after: Position | None, limit: int) -> list[Need]:
    """Up to `limit` needs in the sort's order after `after`, read as two index ranges, the urgent
    needs and the others, each in (published, id) order, then put together: the urgent ones first
    (the default order), or merged by time (waiting: oldest first; newest first).

    Each range is an ascending or descending read of `ix_needs_browse` (or of the district, street
    or category index), stopped as soon as the page is full. A single ORDER BY is_urgent DESC,
    published_at would make the database sort every matching row first: the indexes run the other
    way on urgency, and waiting or newest has no index without urgency in front.
    """
    newest, by_time = sort == "newest", sort in ("waiting", "newest")
    key = (Need.published_at.desc(), Need.id.desc()) if newest else (Need.published_at, Need.id)
    groups: list[list[Need]] = []
    for urgent in (True, False):
        part = query.where(Need.is_urgent == urgent)
        if after is not None:
            point = sa.tuple_(Need.published_at, Need.id), sa.tuple_(after.published_at, after.need_id)
            if by_time:  # the cursor cuts both groups
                part = part.where(point[0] < point[1] if newest else point[0] > point[1])
            elif after.urgent is False and urgent:
                continue  # the default order: the cursor is past the urgent ones already
            elif after.urgent is urgent:
                part = part.where(point[0] > point[1])
        groups.append(list(db.session.scalars(part.order_by(*key).limit(limit))))
        if not by_time and sum(map(len, groups)) >= limit:
            break  # the default order: the urgent ones filled the page
    if not by_time:
        return [need for group in groups for need in group][:limit]
    return list(heapq.merge(*groups, key=lambda n: (n.published_at, n.id), reverse=newest))[:limit]


def _ranked(query: sa.Select, rank: Any, after: Position | None) -> sa.Select:
    """Best match first (lower rank), then urgency order; keyset over (rank, urgent, published, id)."""
    if after is not None and after.rank is not None:
        query = query.where(sa.or_(rank > after.rank, sa.and_(rank == after.rank, _after_in_urgency_order(after))))
    return query.order_by(rank, Need.is_urgent.desc(), Need.published_at, Need.id)


@dataclass(frozen=True)
class BrowsePage:
    """One page of needs, the cursor of the next (None on the last page), and whether a search asked
    to be ranked was too common to rank (its matches then come in the list's usual order)."""

    needs: list[Need]
    next_cursor: str | None
    too_common: bool = False


def _page(rows: list[Any], limit: int, *, too_common: bool = False) -> BrowsePage:
    return BrowsePage(rows[:limit], encode_cursor(rows[limit - 1]) if len(rows) > limit else None, too_common)


def _too_common(f: BrowseFilter, match: index.Match, position: Position | None) -> bool:
    """Whether the search has more matches than are ranked one by one (index.rank_limit).

    A ranked page's cursor carries its rank and a page in the usual order's does not, so a reader
    paging on stays in the order the first page was in.
    """
    if f.ranked and position is not None:
        return position.rank is None
    return match.more_than(index.rank_limit())


def browse(f: BrowseFilter, *, after: str = "", limit: int = PAGE_SIZE) -> BrowsePage:
    """One page of published needs and the cursor of the next page.

    A word found in many needs (more than index.rank_limit(), such as 轮椅 in a tenth of them) is
    not ranked: ranking would score every match before showing the first 20. Its matches come in
    the list's usual order instead (urgent first, then the longest waiting), read through the
    browse indexes with each need checked against the search index, and the page says so.
    """
    position = decode_cursor(after) if after else None
    searched, places = _places(f.query)
    query = _filtered(f).where(*places)
    if not searched:
        return _page(_ordered(query, f.sort, position, limit + 1), limit)
    match = search_match(searched)
    if _too_common(f, match, position):
        return _page(_ordered(query.where(match.holds()), f.sort, position, limit + 1), limit, too_common=f.ranked)
    query = match.apply(query)
    if not f.ranked:  # searched, but in a chosen order
        return _page(_ordered(query, f.sort, position, limit + 1), limit)
    ranked = db.session.execute(_ranked(query.add_columns(match.rank), match.rank, position).limit(limit + 1)).all()
    cursor = encode_cursor(ranked[limit - 1][0], float(ranked[limit - 1][1])) if len(ranked) > limit else None
    return BrowsePage([need for need, _rank in ranked[:limit]], cursor)
