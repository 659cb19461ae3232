"""`flask user create EMAIL --role ROLE [--region CODE] [--org ID] --password PW`."""

import click
from flask import Blueprint

from marketplace.accounts import service
from marketplace.accounts.models import Role
from marketplace.extensions import db

bp = Blueprint("users_cli", __name__, cli_group="user")


@bp.cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_code", help="District or street code (staff).")
@click.option("--org", "organisation_id", type=int, help="Organisation id (members, outlet staff).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name.")
def create_command(
    email: str, role: str, region_code: str | None, organisation_id: int | None, password: str, display_name: str
) -> None:
    """Create an account."""
    try:
        user = service.create_user(
            email, password, role, region_code=region_code, organisation_id=organisation_id,
            display_name=display_name,
        )
    except service.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")
