"""State moves: one table of where each action may start, one conditional UPDATE that makes the move.

A feature declares its `Moves` (needs in needs/transitions.py; projects, pledges, visits and repairs
in projects/service.py). Its transition functions move through `Moves.take()`, and its `allowed()`,
what a page may offer a user, reads the same table: a button is shown exactly when the transition
would accept it. `allowed()` answers who may act, whether the state allows it and whether the object
is ready for it (a delivery needs a photo first: then `allowed.why` holds the very message the
transition would refuse with, for the page to show instead of the button). Only what depends on what
the user then enters (a date, a reason) is left to the transition's refusal.

`move()` is the conditional UPDATE: the row changes only if it still matches the condition when the
database reaches it, so of two people acting at once exactly one wins. On PostgreSQL the second
UPDATE waits for the first one's row lock, then re-reads the row and no longer matches; SQLite
writers queue on the write lock they take at BEGIN (db.py). The ORM object is read again either way,
so the caller sees the state the database holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import Flask
from flask_login import current_user

from marketplace.extensions import db

A = TypeVar("A", bound=StrEnum)
S = TypeVar("S", bound=StrEnum)


def move(obj: Any, *where: sa.ColumnElement[bool], values: Mapping[str, Any]) -> bool:
    """Update this object's row with `values` only if it still matches `where`; true when it did."""
    model = type(obj)
    (key,) = sa.inspect(model).primary_key
    statement = (
        sa.update(model).where(key == sa.inspect(obj).identity[0], *where).values(**values)
        .execution_options(synchronize_session=False)
    )
    won = db.session.execute(statement).rowcount == 1
    db.session.refresh(obj)
    return won


@dataclass(frozen=True)
class Move(Generic[S]):
    """The states an action may start from, and the state it leads to (None: the state stays)."""

    sources: frozenset[S]
    target: S | None = None


class Moves(Generic[A, S]):
    """For one kind of object: which states allow each action, and the move each action makes."""

    def __init__(self, column: Any, table: Mapping[A, tuple[Iterable[S], S | None]]) -> None:
        self.column = column  # the mapped state column, e.g. Need.status
        self.table = {action: Move(frozenset(sources), target) for action, (sources, target) in table.items()}

    def allows(self, action: A, state: str) -> bool:
        """Whether an object in `state` may take `action` (by someone who may act)."""
        return state in self.table[action].sources

    def offered(self, state: str) -> frozenset[A]:
        """Every action the state allows."""
        return frozenset(action for action, step in self.table.items() if state in step.sources)

    def take(self, obj: Any, action: A, values: Mapping[str, Any], refusal: Exception | None = None) -> bool:
        """Make the action's move on `obj` if its state still allows it (one winner).

        The loser raises `refusal` when one is given, else learns it lost from the false returned.
        """
        step = self.table[action]
        changes = {self.column.key: step.target, **values} if step.target is not None else dict(values)
        won = move(obj, self.column.in_(step.sources), values=changes)
        if not won and refusal is not None:
            raise refusal
        return won


class UnknownAction(LookupError):
    """A page asked about an action this kind of object does not have (a misspelt name)."""


class Allowed(Generic[A]):
    """What one user may do to one object now: `allowed.claim` is true when a claim would be accepted.

    `offered` says what the state allows whoever may act, for pages that explain who could (a visitor
    reads that approved organisations claim needs); `why` maps an action this user could take but for
    the object not being ready to the transition's message. Asking about an action the kind does not
    have raises, so a misspelt name in a template fails loudly instead of quietly hiding a button.
    """

    def __init__(self, kind: type[A], actions: Iterable[A], offered: Iterable[A] | None = None,
                 why: Mapping[A, Any] | None = None) -> None:
        self._kind = kind
        self.why = {str(action): str(message) for action, message in (why or {}).items()}
        self._actions = frozenset(actions) - set(self.why)
        self.offered = Allowed(kind, offered) if offered is not None else self

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._kind(name) in self._actions
        except ValueError:
            raise UnknownAction(f"{self._kind.__name__} has no action {name!r}") from None

    def __contains__(self, action: object) -> bool:
        return action in self._actions

    def __iter__(self) -> Iterator[A]:
        return iter(sorted(self._actions))

    def __bool__(self) -> bool:
        return bool(self._actions)

    def __repr__(self) -> str:
        return f"Allowed({', '.join(sorted(self._actions))})"


_ANSWERS: dict[type, Callable[[Any, Any], Allowed[Any]]] = {}


def answers(model: type) -> Callable[[Callable[[Any, Any], Allowed[Any]]], Callable[[Any, Any], Allowed[Any]]]:
    """Register a feature's `allowed(obj, user)` for one model, so templates can ask `allowed(obj)`."""

    def register(fn: Callable[[Any, Any], Allowed[Any]]) -> Callable[[Any, Any], Allowed[Any]]:
        _ANSWERS[model] = fn
        return fn

    return register


def allowed(obj: Any, user: Any) -> Allowed[Any]:
    """What `user` may do to `obj` now, answered by the object's feature."""
    return _ANSWERS[type(obj)](obj, user)


def init_app(app: Flask) -> None:
    """Let templates ask the domain: `allowed(obj).claim`. (Which pages a user may open is answered by
    accounts/access.py, a feature's own questions by its blueprint.)"""
    app.jinja_env.globals["allowed"] = lambda obj: allowed(obj, current_user)
