"""`flask user create EMAIL --role ROLE [--region CODE] [--org ID] [--outlet ID] --password PW`."""

import click

from marketplace.accounts import service
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.meals import outlets
from marketplace.meals.models import Outlet
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("users_cli", __name__, "user")


@bp.cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_code", help="District or street code (staff).")
@click.option("--org", "organisation_id", type=int, help="Organisation id (members, outlet staff).")
@click.option("--outlet", "outlet_id", type=int, help="Outlet id (outlet staff; implies its company).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name.")
def create_command(
    email: str, role: str, region_code: str | None, organisation_id: int | None, outlet_id: int | None,
    password: str, display_name: str,
) -> None:
    """Create an account."""
    outlet = db.session.get(Outlet, outlet_id) if outlet_id is not None else None
    if outlet_id is not None and outlet is None:
        raise click.ClickException(f"no outlet with id {outlet_id}")
    user = service.create_user(
        email, password, role, region_code=region_code,
        organisation_id=outlet.organisation_id if outlet and organisation_id is None else organisation_id,
        display_name=display_name,
    )
    if outlet is not None:
        outlets.assign_staff(user, outlet)
    click.echo(f"created {user.role} {user.email} (id {user.id})")
