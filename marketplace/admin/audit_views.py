"""Admins browse and filter the audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.audit import service
from marketplace.paging import page_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # the log holds nothing outside, and the zone math works


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as the start (or the end) of that day in Shanghai; bad input is ignored,
    and a date outside the years the log can hold is said to be so."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    if not EARLIEST <= day <= LATEST:
        flash(_("Choose a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat()),
              "error")
        return None
    start = datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)
    return start + timedelta(days=1) if end else start


@bp.route("/")
@roles_required(Role.ADMIN)
def browse() -> str:
    """The audit log, newest first, filtered by action, actor, object and dates."""
    args = request.args
    f = service.AuditFilter(
        action=args.get("action", "").strip()[:60],
        actor=args.get("actor", "").strip()[:254],
        object_type=args.get("object_type", "").strip()[:40],
        object_id=args.get("object_id", "").strip()[:64],
        since=_day(args.get("since")),
        until=_day(args.get("until"), end=True),
    )
    page = service.search(f, page=page_arg())
    return render_template("audit/browse.html", page=page, f=f, args=args)
