"""Numbers people type into addresses: page numbers and ids, kept within what the database holds.

A number past a 32-bit column's range (PostgreSQL's `integer`) would make the query itself fail;
it can name nothing stored, so an id that large is "not found" and a page that far is the last one.
"""

from __future__ import annotations

from typing import Any

from flask import request
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


def paginate(query: Any, *, per_page: int, page: int | None = None) -> Any:
    """A page of the query; a page past the end is the last page (an empty list stays page 1)."""
    number = page if page is not None else page_arg()
    result = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if result.pages and number > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result
