"""The unit of work: a request, a CLI command or a scheduler job commits once, or rolls back once.

Domain operations only flush. The boundary is here, in three shapes:
- a web request commits when its answer is a success (below 400) and rolls back otherwise
  (`init_app` installs it, as Indico's request handler does);
- a CLI command of a feature's command group (`CommandGroup`) and a scheduler job
  (`scheduler/jobs.run_tick`) run inside `transaction()`;
- `refusal()` turns a `DomainError` raised on a form post into a flashed message (or a field's
  error) after throwing the unit's changes away, so the view re-renders its form and commits nothing.

What must happen after the commit, in a transaction of its own (counting an API call, sending a
receipt), is queued with `follow_up()`. `checkpoint()` is the one way for an operation that calls an
outside service (Stripe) to make its first step durable before the call; docs/architecture.md lists
where it is used and why.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, flash, g, has_request_context
from flask.cli import AppGroup
from werkzeug.wrappers import Response

from marketplace.db import write_intent
from marketplace.errors import DomainError
from marketplace.extensions import db

FollowUp = Callable[[Response], None]


def init_app(app: Flask) -> None:
    """Install the request boundary (after every blueprint's own after-request functions)."""
    app.after_request(_end_request)


def _end_request(response: Response) -> Response:
    """Commit a successful request, roll back a refused or failed one, then run the follow-ups."""
    if response.status_code < 400:
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise  # answered by the error pages as a 500, with nothing half-written
    else:
        db.session.rollback()
    for follow_up_of_request in g.pop("unit_of_work_follow_ups", []):
        _run_follow_up(follow_up_of_request, response)
    return response


def _run_follow_up(work: FollowUp, response: Response) -> None:
    """One follow-up in its own transaction; its failure is logged and never changes the answer."""
    try:
        with transaction():
            work(response)
    except Exception:
        current_app.logger.warning("follow-up %s failed", getattr(work, "__name__", work), exc_info=True)


def follow_up(work: FollowUp) -> None:
    """Run `work(response)` after this request's commit (or rollback), in a transaction of its own."""
    g.setdefault("unit_of_work_follow_ups", []).append(work)


def discard() -> None:
    """Throw away the unit's changes now (a refusal, or the error page about to render)."""
    db.session.rollback()


def checkpoint() -> None:
    """Make the work so far durable before calling an outside service; see docs/architecture.md."""
    db.session.commit()


@contextlib.contextmanager
def transaction(*, write: bool = True) -> Iterator[None]:
    """One unit outside a request (a CLI command, a job): commit at the end, roll back on any error."""
    with write_intent(write):
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


class Refusal:
    """What `refusal()` caught: true when the operation was refused, with the reader's message."""

    message: str = ""

    def __bool__(self) -> bool:
        return bool(self.message)


@contextlib.contextmanager
def refusal(field: Any = None, *, form: Any = None,
            show: Callable[[DomainError], None] | None = None) -> Iterator[Refusal]:
    """Run domain operations for a form post; a refusal is rolled back and shown to the reader.

    The message goes to the errors of the `form`'s field the refusal names (`DomainError.field`),
    else to `field`'s errors when one is given (the form shows it in place), to `show` when the
    refusal carries more than a message (a referral's field errors), else it is flashed.
    The caller checks the outcome and re-renders or redirects.
    """
    outcome = Refusal()
    try:
        yield outcome
    except DomainError as exc:
        discard()
        outcome.message = exc.message or "refused"
        named = getattr(form, exc.field, None) if form is not None and exc.field else None
        field = named if named is not None and hasattr(named, "errors") else field
        if show is not None:
            show(exc)
        elif field is not None:
            field.errors = [*field.errors, outcome.message]
        elif has_request_context():
            flash(outcome.message, "error")


def in_transaction(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a CLI command so it is one unit of work; a refusal ends it with its message (exit code 1)."""
    import click

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with transaction():
                return command(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc

    return run


class CommandGroup(AppGroup):
    """A feature's `flask <group> …` commands, each one unit of work unless it says otherwise.

    `@bp.cli.command("run", unit_of_work=False)` is for a command that runs many units itself
    (the scheduler process).
    """

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:  # type: ignore[override]
        """Like AppGroup.command, with the command's body in one transaction."""
        wrap = kwargs.pop("unit_of_work", True)
        parent = super().command

        def decorator(f: Callable[..., Any]) -> Any:
            return parent(*args, **kwargs)(in_transaction(f) if wrap else f)

        return decorator


def command_blueprint(name: str, import_name: str, group: str) -> Any:
    """A blueprint that only carries CLI commands (`flask <group> …`), each one unit of work."""
    from flask import Blueprint

    bp = Blueprint(name, import_name, cli_group=group)
    bp.cli = CommandGroup()
    return bp
