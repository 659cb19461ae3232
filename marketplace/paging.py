"""Paging lists by keyset, and ids people type into addresses kept within what the database holds.

Every list pages by its sort key (`paginate`): Next and Previous carry the last or first row's key
in an opaque token, so any page costs one page of an index and nothing is counted. An id past a
32-bit column's range (PostgreSQL's `integer`) would make the query itself fail; it can name
nothing stored, so an id that large is "not found".
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import lazyload
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from werkzeug.routing import IntegerConverter

from marketplace.extensions import db

MAX_ID = 2**31 - 1  # the largest value of an `integer` primary key


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


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row whose sort key is `values`, or before it (going back)."""

    values: tuple[Any, ...]
    backwards: bool = False


@dataclass
class Page:
    """One page of a list and the tokens of its neighbours (None at either end)."""

    items: list[Any]
    next_token: str | None = None
    prev_token: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_token is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_token is not None


def cursor_arg() -> Cursor | None:
    """The page a list's address asks for: `?after=` (Next) or `?before=` (Previous), else the first."""
    for name, backwards in (("after", False), ("before", True)):
        token = request.args.get(name, "")[:400]
        if token:
            values = _decoded(token)
            return Cursor(values, backwards) if values is not None else None
    return None


def paginate(query: sa.Select, *, per_page: int, cursor: Cursor | None) -> Page:
    """A page of the query read by keyset: WHERE (sort key) > (the last row's) ORDER BY … LIMIT n.

    Whatever the page, the database reads one page of the index that serves the order, where OFFSET
    reads every row before it, and no count is taken. The query's ORDER BY is the key: it must end
    with a unique column (an id) so that no two rows tie. A column that may be NULL sorts its NULLs
    last, in either direction and on either database (SQLite puts them first, PostgreSQL last).
    A token that does not fit the order (edited, or from another sort) starts at the first page.
    `cursor` None is the first page; a view passes `cursor_arg()`, what its address asks for.
    """
    keys = _keys(query)
    if not keys or not (isinstance(keys[-1].expression, sa.Column) and keys[-1].expression.primary_key):
        raise ValueError("a keyset page needs an order that ends with the primary key")
    if cursor is not None and not _fits(keys, cursor.values):
        cursor = None
    backwards = cursor is not None and cursor.backwards
    ordered = query.order_by(None).order_by(*(_ordering(key, backwards) for key in keys))
    if cursor is not None:
        ordered = ordered.where(_beyond(keys, cursor.values, backwards))
    labelled = ordered.add_columns(*(key.expression.label(f"_key{n}") for n, key in enumerate(keys)))
    rows = db.session.execute(labelled.limit(per_page + 1)).unique().all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    tokens = [_encoded(_key_values(keys, row[1:])) for row in (rows[0], rows[-1])] if rows else [None, None]
    if backwards:
        return Page([row[0] for row in rows], tokens[1], tokens[0] if more else None)
    return Page([row[0] for row in rows], tokens[1] if more else None, tokens[0] if cursor is not None else None)


@dataclass(frozen=True)
class _Key:
    expression: Any
    descending: bool
    python_type: type | None  # what a token's value must be (None: not known, any JSON value)


def _keys(query: sa.Select) -> list[_Key]:
    """The query's ORDER BY as keys; a NULL-able one preceded by its "is NULL" (so NULLs go last)."""
    keys = []
    for clause in query._order_by_clauses:  # noqa: SLF001 (the select's own order, read back)
        expression, descending = clause, False
        if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
            expression, descending = clause.element, clause.modifier is operators.desc_op
        if not isinstance(expression, sa.Column) or expression.nullable:
            keys.append(_Key(expression.is_(None), False, bool))
        keys.append(_Key(expression, descending, _python_type(expression)))
    return keys


def _key_values(keys: list[_Key], values: Any) -> tuple[Any, ...]:
    # SQLite answers "x IS NULL" with 0 or 1: a token holds it as the boolean it is.
    return tuple(bool(v) if k.python_type is bool and v is not None else v for k, v in zip(keys, values, strict=True))


def _python_type(expression: Any) -> type | None:
    try:
        return expression.type.python_type
    except NotImplementedError:
        return None


def _ordering(key: _Key, backwards: bool) -> Any:
    return key.expression.desc() if key.descending != backwards else key.expression.asc()


def _beyond(keys: list[_Key], values: tuple[Any, ...], backwards: bool) -> Any:
    """Rows after `values` in the keys' order (before them, going back): the first key that differs
    decides, as in (a, b) > (x, y) ⇔ a > x OR (a = x AND b > y), each key in its own direction."""
    either = []
    for n, key in enumerate(keys):
        same = [_equal(k.expression, v) for k, v in zip(keys[:n], values[:n], strict=True)]
        value = values[n]
        if value is None:
            continue  # nothing sorts after a NULL but other NULLs, which the keys before have matched
        either.append(sa.and_(*same, _later(key.expression, value, key.descending != backwards)))
    return sa.or_(*either) if either else sa.false()


def _later(expression: Any, value: Any, descending: bool) -> Any:
    if isinstance(value, bool):  # false sorts before true
        if value != descending:
            return sa.false()
        return sa.not_(expression) if descending else expression
    return expression < value if descending else expression > value


def _equal(expression: Any, value: Any) -> Any:
    return expression.is_(value) if value is None or isinstance(value, bool) else expression == value


def _fits(keys: list[_Key], values: tuple[Any, ...]) -> bool:
    if len(keys) != len(values):
        return False
    return all(value is None or key.python_type is None or _is_a(value, key.python_type)
               for key, value in zip(keys, values, strict=True))


def _is_a(value: Any, wanted: type) -> bool:
    if wanted is bool or isinstance(value, bool):  # a bool is an int to isinstance, never to a column
        return wanted is bool and isinstance(value, bool)
    return isinstance(value, wanted) or (wanted is float and isinstance(value, int))


def _encoded(values: tuple[Any, ...]) -> str:
    """An opaque token of a row's sort key (dates and times tagged, so they read back as themselves)."""
    def tagged(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"t": value.isoformat()}
        if isinstance(value, date):
            return {"d": value.isoformat()}
        if isinstance(value, Decimal):
            return {"n": str(value)}
        return value

    raw = json.dumps([tagged(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decoded(token: str) -> tuple[Any, ...] | None:
    """The values of a token, or None if it is not one of ours."""
    def untagged(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (tag, text), = value.items()
            if tag == "t":
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    raise ValueError("a naive time")
                return moment
            if tag == "d":
                return date.fromisoformat(text)
            if tag == "n":
                return Decimal(text)
        if isinstance(value, dict | list) or (isinstance(value, float) and value != value):
            raise ValueError("not a sort key")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
            raise ValueError("past any column")
        return value

    try:
        raw = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        if not isinstance(raw, list):
            return None
        return tuple(untagged(v) for v in raw)
    except (ValueError, TypeError, OverflowError, InvalidOperation, UnicodeDecodeError):
        return None


def count_up_to(query: sa.Select, limit: int) -> int:
    """The number of the query's rows, up to `limit` (eager loads and order left out)."""
    rows = query.options(lazyload("*")).order_by(None).limit(limit).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0
