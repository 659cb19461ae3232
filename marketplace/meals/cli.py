"""`flask meals expire`: booked vouchers whose serving hours are over become expired (idempotent)."""

import contextvars

import click
from flask import Blueprint

from marketplace.db import declare_write
from marketplace.extensions import db
from marketplace.meals import timing, vouchers

bp = Blueprint("meals_cli", __name__, cli_group="meals")


@bp.cli.command("expire")
def expire_command() -> None:
    """Expire unredeemed vouchers after serving hours (the scheduler runs the same function)."""
    # The write intent lives in a copy of the context: it ends with the command instead of making every
    # later transaction of this thread a writer (tests invoke commands in their own thread).
    count = contextvars.copy_context().run(_expire)
    click.echo(f"expired {count} voucher(s)")


def _expire() -> int:
    declare_write()
    count = vouchers.expire_vouchers(timing.now())
    db.session.commit()
    return count
