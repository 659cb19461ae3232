"""`flask api-key create SOURCE` (prints the new key alone on its last line) and `revoke SOURCE`."""

from __future__ import annotations

import click

from marketplace.api import keys
from marketplace.extensions import db
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("api_cli", __name__, "api-key")


@bp.cli.command("create")
@click.argument("source")
def create_command(source: str) -> None:
    """Create a key for SOURCE (and the source itself if new). The key is shown only now."""
    row, key = keys.create(source)
    click.echo(f"Created a key for {source} (prefix {row.prefix}). Store it now; it is not shown again:")
    click.echo(key)


@bp.cli.command("revoke")
@click.argument("source")
@click.option("--prefix", help="Revoke only the key with this prefix (default: every active key of SOURCE).")
def revoke_command(source: str, prefix: str | None) -> None:
    """Revoke SOURCE's keys; requests with them answer 401 from now on."""
    revoked = keys.revoke(source, prefix=prefix)
    click.echo(f"Revoked {len(revoked)} key(s) of {source}: " + ", ".join(k.prefix for k in revoked))


@bp.cli.command("list")
def list_command() -> None:
    """Sources, their keys (prefix only) and use."""
    for source in db.session.scalars(keys.sources_query()):
        click.echo(f"{source.name}\trate limit {source.rate_limit}/10s\t{source.request_count} requests, "
                   f"{source.error_count} errors")
        for key in source.keys:
            state = "active" if key.is_active else f"revoked {key.revoked_at:%Y-%m-%d}"
            click.echo(f"  {key.prefix}…\t{state}\tlast used {key.last_used_at or 'never'}")
