"""The notification inbox and marking notifications read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.notifications import service
from marketplace.notifications.text import describe, link
from marketplace.paging import page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@roles_required()
def inbox() -> str:
    """The signed-in user's notifications, newest first."""
    page = service.inbox(current_user, page=page_arg())
    return render_template("notifications/inbox.html", page=page, describe=describe, link=link)


@bp.route("/read", methods=["POST"])
@roles_required()
def mark_read() -> Response:
    """Mark one notification (`id`) or all of them read."""
    raw = request.form.get("id", "")
    service.mark_read(current_user, notification_id=int(raw) if raw.isdigit() else None, now=clock.now())
    return redirect(url_for("notifications.inbox"))
