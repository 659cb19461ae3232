"""Admins browse and filter the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.audit import service

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as the start (or the end) of that day in Shanghai; bad input is ignored."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
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
    page = service.search(f, page=args.get("page", 1, type=int))
    return render_template("audit/browse.html", page=page, f=f, args=args)
