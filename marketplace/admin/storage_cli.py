"""`flask storage backup DIR` and `flask storage restore DIR`: the photo store to and from a folder.

With pg_dump, the backup of a site (docs/production.md): the database names each photo by its key,
the store holds its bytes. Whichever store is configured (the folder or the bucket) is the source
of a backup and the target of a restore.
"""

from pathlib import Path

import click

from marketplace import storage
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("storage_cli", __name__, "storage")


@bp.cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Copy the stored photos that FOLDER does not hold yet into it."""
    done = storage.back_up(folder)
    click.echo(f"copied {done.copied} files to {folder} ({done.kept} were there already)")


@bp.cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder: Path) -> None:
    """Put the photos of FOLDER that the store does not hold yet into it."""
    done = storage.restore(folder)
    click.echo(f"restored {done.copied} files from {folder} ({done.kept} were there already)")
