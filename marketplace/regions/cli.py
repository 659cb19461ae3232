"""`flask regions import FILE.csv`."""

from pathlib import Path

import click
from flask import Blueprint

from marketplace.extensions import db
from marketplace.regions.service import RegionImportError, import_regions

bp = Blueprint("regions_cli", __name__, cli_group="regions")


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import or update regions from a CSV file (code,name,parent_code,level)."""
    try:
        result = import_regions(file.read_text(encoding="utf-8"))
    except RegionImportError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"regions: {result.created} created, {result.updated} updated")
