"""The change feed: a source's referrals in the order their last change committed, by opaque cursor.

A cursor holds the `updated_since` the client started from and the (change_seq, id) of the last
referral it received. Pages are ordered by (change_seq, id), which is unique and only grows, so a
client that resumes from any cursor gets every later change exactly once, however many changes
share a timestamp. A referral that changes again gets a new change_seq and so appears again, later.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from marketplace.api import status as status_objects
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households.contract import parse_rfc3339
from marketplace.households.models import Referral

PAGE_SIZE = 100
MAX_ID = 2**63 - 1  # what a BIGINT holds; larger numbers in a forged cursor must not reach the driver
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Position:
    """Where a client stands in its feed."""

    since: datetime
    seq: int = 0
    id: int = 0


def parse_since(value: str) -> datetime:
    """An RFC 3339 time; a '+' that arrived as a space (an unencoded query string) is forgiven."""
    value = re.sub(r" (\d{2}:\d{2})$", r"+\1", value.strip())
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise ValueError("an RFC 3339 time with an offset, e.g. 2026-11-20T10:00:00+08:00")
    return parsed.astimezone(UTC)  # parse_rfc3339 only returns times that have a UTC equivalent


def encode(position: Position) -> str:
    """The opaque cursor for a position: base64url of a small JSON object."""
    raw = json.dumps({"s": position.since.isoformat(), "q": position.seq, "i": position.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> Position:
    """The position a cursor stands for; ValueError when it is not one this server made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        since = datetime.fromisoformat(data["s"]).astimezone(UTC)
        seq, ident = data["q"], data["i"]
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError, binascii.Error):
        raise ValueError("not a cursor returned by this API") from None
    if len(data) != 3 or not all(isinstance(n, int) and 0 <= n <= MAX_ID for n in (seq, ident)):
        raise ValueError("not a cursor returned by this API")
    if data["s"] != since.isoformat():  # only what encode() wrote: aware, in UTC
        raise ValueError("not a cursor returned by this API")
    return Position(since, seq, ident)


class FeedError(DomainError):
    """A malformed query parameter; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def start(updated_since: str | None, cursor: str | None) -> Position:
    """The position to read from: the cursor when given, else the start of `updated_since`."""
    try:
        since = parse_since(updated_since) if updated_since is not None else EPOCH
    except ValueError as exc:
        raise FeedError("updated_since", str(exc)) from None
    if cursor is None:
        return Position(since)
    try:
        return decode(cursor)
    except ValueError as exc:
        raise FeedError("cursor", str(exc)) from None


def page(source: str, position: Position, size: int = PAGE_SIZE) -> tuple[list[Referral], Position, bool]:
    """Up to `size` referrals after `position`, the position after them, and whether more follow."""
    query = (
        sa.select(Referral)
        .where(
            Referral.source == source,
            Referral.changed_at >= position.since,
            sa.tuple_(Referral.change_seq, Referral.id) > sa.tuple_(position.seq, position.id),
        )
        .order_by(Referral.change_seq, Referral.id)
        .limit(size + 1)
        .options(*status_objects.loading())
    )
    rows = list(db.session.scalars(query))
    items, has_more = rows[:size], len(rows) > size
    if not items:
        return items, position, False  # resume from the same place: later changes come after it
    last = items[-1]
    return items, Position(position.since, last.change_seq, last.id), has_more
