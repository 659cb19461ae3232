"""`flask regions import FILE.csv`."""

from pathlib import Path

import click

from marketplace.regions.service import import_regions
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("regions_cli", __name__, "regions")


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import or update regions from a CSV file (code,name,parent_code,level)."""
    result = import_regions(file.read_text(encoding="utf-8"))
    click.echo(f"regions: {result.created} created, {result.updated} updated")
