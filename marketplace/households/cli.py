"""`flask households duplicates`: the likely duplicate households on file (numbers only, no personal data)."""

import click

from marketplace.households import merge
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("households_cli", __name__, "households")


@bp.cli.command("duplicates")
@click.option("--limit", default=1000, show_default=True, help="At most this many pairs.")
def duplicates_command(limit: int) -> None:
    """List pairs of households that are probably one (same ID number; same name and phone)."""
    pairs = merge.duplicate_pairs(limit=limit)
    for pair in pairs:
        click.echo(f"#{pair.first.id}\t#{pair.second.id}\t{pair.reason}\t{pair.first.district_code}"
                   f"\t{pair.first.source} {pair.first.external_id}\t{pair.second.source} {pair.second.external_id}")
    click.echo(f"{len(pairs)} likely duplicate pair(s)")
