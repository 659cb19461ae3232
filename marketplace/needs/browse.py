"""Browsing published needs: filters, Chinese substring search and keyset paging.

Keyset paging (WHERE (sort key) > (last seen) ORDER BY ... LIMIT n) reads only one page of an
index whatever the page number, so browsing stays fast with a million needs; OFFSET would not.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus

PAGE_SIZE = 20
SORTS = ("urgency", "waiting", "newest")


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
    sort: str = "urgency"


def encode_cursor(need: Need) -> str:
    """An opaque token for "after this need" in the current sort."""
    raw = json.dumps([int(need.is_urgent), need.published_at.isoformat(), need.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[bool, datetime, int] | None:
    """The position a token stands for, or None if it is malformed (then paging restarts)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        urgent, published, need_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(published)
        if at.tzinfo is None or not isinstance(need_id, int):
            return None
        return bool(urgent), at, need_id
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(f: BrowseFilter) -> sa.Select:
    query = sa.select(Need).where(Need.status == NeedStatus.PUBLISHED)
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
    for word in f.q.split()[:5]:
        # Substring match: works for Chinese, which has no spaces between words.
        pattern = f"%{_escape_like(word[:30])}%"
        query = query.where(sa.or_(Need.title.like(pattern, escape="\\"), Need.story.like(pattern, escape="\\")))
    return query


def _ordered(query: sa.Select, sort: str, after: tuple[bool, datetime, int] | None) -> sa.Select:
    if sort == "newest":
        if after:
            query = query.where(sa.tuple_(Need.published_at, Need.id) < sa.tuple_(after[1], after[2]))
        return query.order_by(Need.published_at.desc(), Need.id.desc())
    if sort == "waiting":
        if after:
            query = query.where(sa.tuple_(Need.published_at, Need.id) > sa.tuple_(after[1], after[2]))
        return query.order_by(Need.published_at, Need.id)
    if after:
        urgent, at, need_id = after
        later = sa.tuple_(Need.published_at, Need.id) > sa.tuple_(at, need_id)
        same_group_later = sa.and_(Need.is_urgent.is_(urgent), later)
        # After the last urgent need come all the non-urgent ones.
        query = query.where(sa.or_(same_group_later, Need.is_urgent.is_(False)) if urgent else same_group_later)
    return query.order_by(Need.is_urgent.desc(), Need.published_at, Need.id)


def browse(f: BrowseFilter, *, after: str = "", limit: int = PAGE_SIZE) -> tuple[list[Need], str | None]:
    """One page of published needs and the cursor of the next page (None on the last page)."""
    position = decode_cursor(after) if after else None
    sort = f.sort if f.sort in SORTS else "urgency"
    query = _ordered(_filtered(f), sort, position).limit(limit + 1)
    rows: list[Any] = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None
