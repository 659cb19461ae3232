"""`flask privacy scan`: the public texts the story guard would refuse today, for staff to rewrite."""

import click
from flask import current_app, url_for

from marketplace.staff import privacy_scan
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("privacy_cli", __name__, "privacy")


@bp.cli.command("scan")
def scan_command() -> None:
    """List each published text that names or locates someone: object, field, the words, the page to fix it."""
    checked, findings = privacy_scan.scan()
    with current_app.test_request_context():  # paths for staff, without a server name
        for f in findings:
            # The words themselves are personal data: shown on this console only, never logged or audited.
            path = url_for(f.endpoint, **{"need_id" if f.object_type == "need" else "project_id": f.endpoint_id})
            click.echo(f"{f.object_type} {f.object_id}\t{f.field}\t{f.leak.kind}\t「{f.leak.fragment}」\t{path}")
    click.echo(f"{checked} public texts checked, {len(findings)} fragments the story guard refuses.")
