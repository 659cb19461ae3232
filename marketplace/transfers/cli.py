"""`flask transfers seed-departments` and `flask transfers overdue`: each one unit of work."""

import click

from marketplace import clock
from marketplace.transfers import service
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("transfers_cli", __name__, "transfers")


@bp.cli.command("seed-departments")
def seed_departments_command() -> None:
    """Add the usual government departments (医保, 住建, 人社, 教育, 残联, 卫健, 民政) that are missing."""
    click.echo(f"{service.ensure_default_departments()} departments added.")


@bp.cli.command("overdue")
def overdue_command() -> None:
    """Mark open transfers past their answer date overdue now (the scheduler does it every 5 minutes)."""
    click.echo(f"{service.mark_overdue(clock.now())} transfers became overdue.")
