"""The notification inbox and marking notifications read."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.notifications import kinds, service
from marketplace.notifications.forms import preferences_form
from marketplace.notifications.text import describe, link
from marketplace.paging import cursor_arg
from marketplace.unit_of_work import refusal

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@roles_required()
def inbox() -> str:
    """The signed-in user's notifications, newest first."""
    page = service.inbox(current_user, cursor=cursor_arg())
    return render_template("notifications/inbox.html", page=page, describe=describe, link=link)


@bp.route("/read", methods=["POST"])
@roles_required()
def mark_read() -> Response:
    """Mark one notification (`id`) or all of them read."""
    raw = request.form.get("id", "")
    service.mark_read(current_user, notification_id=int(raw) if raw.isdigit() else None, now=clock.now())
    return redirect(url_for("notifications.inbox"))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required()
def settings() -> str | Response:
    """Choose, for each kind of notice meant for the reader's role: immediately, daily digest, or off."""
    offered = kinds.for_user(current_user)
    form = preferences_form(offered, service.preferences(current_user))
    if form.validate_on_submit():
        with refusal() as refused:
            service.set_preferences(current_user, {kind.code: form[kind.code].data for kind in offered})
        if not refused:
            flash(_("Your notice settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, offered=offered)
