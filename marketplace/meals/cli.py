"""`flask meals expire`: booked vouchers whose serving hours are over become expired (idempotent)."""

import click

from marketplace.meals import timing, vouchers
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("meals_cli", __name__, "meals")


@bp.cli.command("expire")
def expire_command() -> None:
    """Expire unredeemed vouchers after serving hours (the scheduler runs the same function)."""
    count = vouchers.expire_vouchers(timing.now())
    click.echo(f"expired {count} voucher(s)")
