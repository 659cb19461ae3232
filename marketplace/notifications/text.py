"""The words of a notification, in the reader's language, and where it links to (from `kinds.py`)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from marketplace.notifications import kinds
from marketplace.notifications.models import Notification


def describe(note: Notification) -> str:
    """One line saying what happened."""
    kind = kinds.get(note.kind)
    if kind is None:
        return _("You have a new notice.")
    try:
        return kind.words({**(note.params or {}), "count": note.count})
    except (KeyError, TypeError):  # a notice made before its kind's params changed: say what kind it is
        return str(kind.label)


def link(note: Notification) -> str:
    """Where clicking the notification takes the reader."""
    kind = kinds.get(note.kind)
    if kind is None:
        return url_for("notifications.inbox")
    args = dict(kind.link_args)
    if kind.id_arg is not None:
        if note.object_id is None:
            return url_for("notifications.inbox")
        args[kind.id_arg] = note.object_id
    return url_for(kind.endpoint, **args)
