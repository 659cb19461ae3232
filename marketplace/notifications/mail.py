"""Email copies of notifications, sent by the scheduler when SMTP is configured."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.text import describe


def send_pending(now: datetime, *, limit: int = 200) -> int:
    """Email unsent notifications of the last day (oldest first); nothing when SMTP is not set up."""
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return 0
    query = (
        sa.select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.created_at >= now - timedelta(days=1))
        .order_by(Notification.id).limit(limit)
    )
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    with smtplib.SMTP(server, int(current_app.config.get("MAIL_PORT", 25)), timeout=10) as smtp:
        for note, email in rows:
            smtp.send_message(_message(note, email))
            note.emailed_at = now
            db.session.flush()
    return len(rows)


def _message(note: Notification, email: str) -> EmailMessage:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = describe(note)
        message = EmailMessage()
        message["Subject"] = _("Shanlian: %(text)s", text=text)
        message["From"] = current_app.config.get("MAIL_FROM", "noreply@shanlian.local")
        message["To"] = email
        message.set_content(text + "\n\n" + _("Sign in to Shanlian to see the details."))
    return message
