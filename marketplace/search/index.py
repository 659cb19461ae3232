"""Search tables kept in step with their objects, and the one place search SQL differs by database.

A feature declares a search table (`SearchColumns` + its own key column) and registers how an
object becomes a `Document` (`register`). A `before_flush` listener then writes the tokens of every
new or changed object in the same flush, so the index commits or rolls back with the write itself.

The two databases need two kinds of index, and nothing else in the app knows it:

- SQLite: an FTS5 table `<table>_fts` with external content (the search table is the content),
  kept in step by triggers; ranked with `bm25()`, title columns weighted above the rest.
- PostgreSQL: a generated `document tsvector` column with a GIN index, built with the `simple`
  configuration (no stemming, no stop words: the tokens are already cut) and weighted A (title
  words), B (title characters), C (other words), D (other characters); ranked with `ts_rank()`.

Both are created by the migration (c14fts06f5a6) and are not in the models' metadata.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.extensions import db
from marketplace.paging import count_up_to
from marketplace.search.text import Document, Query

# FTS5 column weights for bm25 (title words, title chars, other words, other chars).
BM25_WEIGHTS = (10.0, 6.0, 2.0, 1.0)
# A token no text yields (segmenting keeps Han and Latin runs; this is neither word nor in any row).
UNSEEN_WORD = "zqxjkvbwunseen"
# Matches ranked one by one at most (see rank_limit); measured per database, set by the benchmark.
RANK_LIMIT = {"sqlite": 20_000, "postgresql": 10_000}


class SearchColumns:
    """The token columns every search table has; a feature adds the key pointing at its object."""

    title_words: Mapped[str] = mapped_column(sa.Text, default="")
    title_chars: Mapped[str] = mapped_column(sa.Text, default="")
    body_words: Mapped[str] = mapped_column(sa.Text, default="")
    body_chars: Mapped[str] = mapped_column(sa.Text, default="")

    def fill(self, document: Document) -> None:
        """Take the tokens of a document."""
        self.title_words, self.title_chars = document.title_words, document.title_chars
        self.body_words, self.body_chars = document.body_words, document.body_chars


@dataclass(frozen=True)
class Registration:
    """How objects of one model are indexed."""

    model: type
    entry: Callable[[Any], SearchColumns]  # the object's search row (made and attached if missing)
    document: Callable[[Any], Document]
    watched: tuple[str, ...]  # attributes whose change means new tokens


_registered: dict[type, Registration] = {}


def register(model: type, *, entry: Callable[[Any], SearchColumns], document: Callable[[Any], Document],
             watched: Iterable[str]) -> None:
    """Index `model`'s objects on every flush that creates them or changes a watched attribute."""
    _registered[model] = Registration(model, entry, document, tuple(watched))


def changed(obj: Any, watched: tuple[str, ...]) -> bool:
    """Whether any of the attributes has a change not yet flushed."""
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in watched)


@sa.event.listens_for(Session, "before_flush")
def _index_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Tokens for new and changed objects, written in the same flush (so the same transaction)."""
    if not _registered:
        return
    for obj in [*session.new, *session.dirty]:
        registration = _registered.get(type(obj))
        if registration is None or (obj not in session.new and not changed(obj, registration.watched)):
            continue
        with session.no_autoflush:
            registration.entry(obj).fill(registration.document(obj))


def reindex(session: Session, obj: Any) -> None:
    """Write an object's tokens now (for changes the listener cannot see, such as a renamed region)."""
    registration = _registered[type(obj)]
    with session.no_autoflush:
        registration.entry(obj).fill(registration.document(obj))


# --- querying --------------------------------------------------------------------------------

def _fts5_expression(query: Query) -> str:
    """An FTS5 MATCH expression; every token is double-quoted, so nothing typed is syntax."""
    parts = []
    for term in query.terms:
        phrase = " ".join(term.chars)
        either = f'{{title_chars body_chars}} : "{phrase}"'
        if term.word:
            either += f' OR {{title_words body_words}} : "{term.word}"'
        parts.append(f"({either})")
    return " AND ".join(parts)


def _tsquery_text(query: Query) -> str:
    """A to_tsquery text: character phrases on weights B/D, the whole word on A/C; tokens quoted."""
    parts = []
    for term in query.terms:
        phrase = " <-> ".join(f"'{c}':BD" for c in term.chars)
        parts.append(f"({phrase} | '{term.word}':AC)" if term.word else f"({phrase})")
    return " & ".join(parts)


@dataclass(frozen=True)
class Match:
    """What a list query adds for a search: a join, a condition and a rank (lower is better)."""

    target: Any  # the FTS table (SQLite) or the search table (PostgreSQL) to join
    onclause: Any
    condition: Any
    rank: Any
    keys: sa.Select  # the matching objects' ids, for `id IN (…)` beside other conditions
    unseen: sa.Select | None = None  # PostgreSQL only: the same search for a word no row holds (more_than)

    def apply(self, query: sa.Select) -> sa.Select:
        """The query narrowed to the matching rows."""
        return query.join(self.target, self.onclause).where(self.condition)

    def holds(self) -> Any:
        """A condition true for the objects that match, checked one object at a time.

        For a list read in its own index's order: each row it reads is looked up in the search index
        by its id, so the list stops at a page's worth of matches instead of gathering every match.
        """
        return sa.exists(self.keys.where(self.onclause))

    def more_than(self, limit: int) -> bool:
        """Whether more than `limit` rows match (to choose how to order them, never to show a count).

        SQLite counts them, reading no further into the FTS5 index than `limit`. PostgreSQL first asks
        the planner, whose estimate comes from the tsvector column's statistics: counting would read
        a table page for every match (the index cannot tell a title word's weight, so each row is
        rechecked), 28 ms for 5,000 matches of 200,000 needs, where the estimate takes under a
        millisecond. The statistics know only the column's commonest words, though; for any other
        the planner guesses one fixed share (0.28 % of 14,000,000 rows: 38,968 for 手风琴, which 1,399
        needs hold). So an estimate no higher than that guess's, for a word no row holds, is checked
        by counting, no further than `limit`.
        """
        if self.unseen is not None:  # PostgreSQL
            estimate = _estimated_rows(self.keys)
            if estimate <= limit:
                return False
            if estimate > 1.5 * _estimated_rows(self.unseen):
                return True  # a word the statistics know to be common
        return count_up_to(self.keys, limit + 1) > limit


def _estimated_rows(query: sa.Select) -> float:
    """The planner's estimate of a query's rows (PostgreSQL's EXPLAIN), without running it."""
    connection = db.session.connection()
    compiled = query.compile(connection)
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def rank_limit(dialect: str | None = None) -> int:
    """How many matches a search ranks one by one before it is "too common to rank".

    Ranking costs each match (bm25, ts_rank); reading a list in its own order and checking each row
    costs each row read until a page of matches is found. The two cost the same at about this many
    matches of 1,000,000 rows on each database (docs/BENCHMARKS.md, "a word too common to rank").
    """
    dialect = dialect or db.session.get_bind().dialect.name
    return RANK_LIMIT.get(dialect, RANK_LIMIT["sqlite"])


def match(search_table: sa.Table, key: Any, query: Query, dialect: str | None = None) -> Match:
    """The join, condition and rank of a search over `search_table`, whose `key` joins the object's id.

    The dialect branch of search lives here and only here (see the module's docstring).
    """
    dialect = dialect or db.session.get_bind().dialect.name
    key_name = next(iter(search_table.primary_key.columns)).name
    if dialect == "sqlite":
        fts = sa.table(f"{search_table.name}_fts", sa.column("rowid"))
        fts_name = sa.literal_column(f"{search_table.name}_fts")
        expression = sa.bindparam("fts_query", _fts5_expression(query), type_=sa.String, unique=True)
        condition = fts_name.op("MATCH")(expression)
        rank = sa.func.bm25(fts_name, *BM25_WEIGHTS, type_=sa.Float)
        return Match(fts, fts.c.rowid == key, condition, rank, sa.select(fts.c.rowid).where(condition))
    # The generated column is made by the migration and is not in the models (it exists on PostgreSQL only).
    document = sa.literal_column(f"{search_table.name}.document")
    text = sa.bindparam("ts_query", _tsquery_text(query), type_=sa.String, unique=True)
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), text)
    condition = document.op("@@")(tsquery)
    # ts_rank is a `real`: as float8 it reads back exactly, so a page's last rank is a usable cursor.
    rank = -sa.cast(sa.func.ts_rank(document, tsquery), sa.Double)
    own_key = search_table.c[key_name]
    unseen = sa.select(own_key).where(document.op("@@")(sa.func.to_tsquery(
        sa.literal_column("'simple'"), sa.bindparam("ts_unseen", f"'{UNSEEN_WORD}':AC", type_=sa.String, unique=True))))
    return Match(search_table, own_key == key, condition, rank, sa.select(own_key).where(condition), unseen)


# --- the structures the migration makes outside the models ----------------------------------

SEARCH_TABLES = ("need_search", "referral_search", "organisation_search")
_FTS5_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")


def in_models(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic's `include_name`: False for the index structures that only the migration declares.

    The FTS5 virtual tables (and their shadow tables) and the generated tsvector column with its GIN
    index exist on one database each, so the dialect-neutral models cannot declare them; comparing
    models with migrations (autogenerate, tests/app/test_migrations.py) leaves them out.
    """
    if type_ == "table":
        return name not in {f"{table}_fts{shadow}" for table in SEARCH_TABLES for shadow in _FTS5_SHADOWS}
    if parent_names.get("table_name") in SEARCH_TABLES:
        return not (type_ == "column" and name == "document") and name != f"ix_{parent_names['table_name']}_document"
    return True
