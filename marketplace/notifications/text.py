"""The words of a notification, in the reader's language, and where it links to."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from marketplace.notifications.models import Notification


def describe(note: Notification) -> str:
    """One line saying what happened."""
    if note.kind == "need_red":
        return _("A need your organisation claimed is overdue (red light).")
    if note.kind == "needs_red_digest":
        return _("%(count)s needs in your region turned red.", count=note.count)
    return note.kind


def link(note: Notification) -> str:
    """Where clicking the notification takes the reader."""
    if note.kind == "need_red" and note.object_id:
        return url_for("needs.detail", need_id=note.object_id)
    if note.kind == "needs_red_digest":
        return url_for("staff_needs.need_list", light="red")
    return url_for("notifications.inbox")
