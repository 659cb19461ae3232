"""Admins browse, filter and export the audit log; every history page reads its events in words here."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from marketplace import spreadsheets
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.admin import audit_entries
from marketplace.admin.audit_choices import Choices, choices
from marketplace.audit import service
from marketplace.paging import cursor_arg, int_arg
from marketplace.unit_of_work import refusal

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
# A history on any page (household, need, project) asks for its events in words: `audit_entries(events)`.
bp.app_context_processor(lambda: {"audit_entries": lambda events: audit_entries.entries(events, current_user)})


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # the log holds nothing outside, and the zone math works


def _day(value: str | None) -> date | None:
    """A YYYY-MM-DD filter; bad input is ignored, and a date outside the years the log can hold is said to be so."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    if not EARLIEST <= day <= LATEST:
        flash(_("Choose a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat()),
              "error")
        return None
    return day


def _filter(offered: Choices) -> service.AuditFilter:
    """The filter the form's choices make; a value the form does not offer filters nothing."""
    args = request.args

    def chosen(name: str, select: str) -> str:
        value = args.get(name, "").strip()
        return value if value and offered.allows(select, value) else ""

    return service.AuditFilter(
        action=chosen("action", "actions"),
        actor_id=int_arg("actor"),
        object_type=chosen("object_type", "object_types"),
        object_id=args.get("object_id", "").strip()[:64],
        region_code=chosen("region", "regions"),
        since=_day(args.get("since")),
        until=_day(args.get("until")),
    )


@bp.route("/")
@roles_required(Role.ADMIN)
def browse() -> str:
    """The audit log in words, newest first, filtered by action, actor, object, region and dates."""
    offered = choices()
    f = _filter(offered)
    page = service.search(f, cursor=cursor_arg())
    return render_template("audit/browse.html", page=page, f=f, choices=offered, args=request.args)


@bp.route("/export.csv")
@roles_required(Role.ADMIN)
def export() -> BaseResponse:
    """The filtered log as a CSV file in words (the export is itself recorded)."""
    f = _filter(choices())
    with refusal() as refused:
        events = service.export(f, actor=current_user)
    if refused:
        return redirect(url_for("audit.browse", **request.args))
    rows = audit_entries.csv_rows(audit_entries.entries(events, current_user))
    response = Response(spreadsheets.to_csv(rows), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename="shanlian-audit-log.csv")
    return response
