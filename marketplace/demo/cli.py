"""`flask demo load`: the demo data set, safe to run again."""

import click

from marketplace.demo import seed
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("demo_cli", __name__, "demo")


@bp.cli.command("load")
def load_command() -> None:
    """Load the demo data (idempotent) and print the demo accounts."""
    shown = seed.load()
    click.echo(f"Demo accounts (password for all: {seed.DEMO_PASSWORD}):")
    for account in shown:
        click.echo(f"  {account.email:<28} {account.role:<24} {account.note}")
