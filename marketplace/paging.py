"""Numbers people type into addresses: page numbers and ids, kept within what the database holds.

A number past a 32-bit column's range (PostgreSQL's `integer`) would make the query itself fail;
it can name nothing stored, so an id that large is "not found" and a page that far is the last one.
"""

from __future__ import annotations

from math import ceil
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import lazyload
from werkzeug.routing import IntegerConverter

from marketplace.extensions import db

MAX_ID = 2**31 - 1  # the largest value of an `integer` primary key
MAX_PAGE = 100_000  # far beyond any list's last page, and an OFFSET every database takes


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: an id past the database's range answers 404, like any unknown id."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str) -> int | None:
    """A whole number from the query string within an id's range, else None."""
    value = request.args.get(name, "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def page_arg() -> int:
    """The `page` parameter: 1 unless it is a sensible page number."""
    value = request.args.get("page", "").strip()
    if not (value.isascii() and value.isdigit()):
        return 1
    number = int(value) if len(value) <= 7 else MAX_PAGE
    return min(max(number, 1), MAX_PAGE)


# A list counts its rows only this far past the page shown: "page 3 of 334+" instead of counting
# every row of a table of millions for a pager nobody follows that far.
COUNT_AHEAD = 10_000


def paginate(query: Any, *, per_page: int, page: int | None = None) -> Any:
    """A page of the query; a page past the end is the last page (an empty list stays page 1).

    The count stops COUNT_AHEAD rows past the page: `capped` then says the total is "at least".
    """
    number = page if page is not None else page_arg()
    ahead = (number - 1) * per_page + COUNT_AHEAD
    counted = count_up_to(query, ahead + 1)
    capped = counted > ahead
    if not capped and counted and number > ceil(counted / per_page):
        number = ceil(counted / per_page)
    result = db.paginate(query, page=number, per_page=per_page, error_out=False, count=False)
    result.total, result.capped = counted, capped
    return result


def count_up_to(query: sa.Select, limit: int) -> int:
    """The number of the query's rows, up to `limit` (eager loads and order left out)."""
    rows = query.options(lazyload("*")).order_by(None).limit(limit).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0
