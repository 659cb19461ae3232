"""Email copies of notifications, sent by the scheduler when SMTP is configured.

A notice made for a reader who chose "immediately" is emailed by the next `send_pending` run (every
minute); one made for a reader who chose "daily digest" waits for `send_digests`, which sends each
such reader one email a day listing their notices of the day before DIGEST_HOUR (08:00 in
Guangzhou). Both mark what they sent, so a second run sends nothing again.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from itertools import groupby

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace import clock, mailer
from marketplace.accounts.models import User
from marketplace.accounts.passwords import public_url
from marketplace.extensions import db
from marketplace.notifications.models import Delivery, Notification
from marketplace.notifications.text import describe, link

DIGEST_HOUR = 8
# An outage longer than this does not bring week-old notices by email (the inbox still has them).
DIGEST_REACH = timedelta(days=7)


@contextmanager
def _smtp() -> Iterator[smtplib.SMTP]:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=10) as smtp:
        yield smtp


def send_pending(now: datetime, *, limit: int = 200) -> int:
    """Email unsent "immediately" notices of the last day (oldest first); nothing when SMTP is not set up."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    query = (
        sa.select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.delivery == Delivery.NOW,
               Notification.created_at >= now - timedelta(days=1))
        .order_by(Notification.id).limit(limit)
    )
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    with _smtp() as smtp:
        for note, email in rows:
            smtp.send_message(_message(note, email))
            note.emailed_at = now
            db.session.flush()
    return len(rows)


def digest_cutoff(now: datetime) -> datetime:
    """The last DIGEST_HOUR in Guangzhou at or before `now`: a digest lists the notices made before it."""
    local = clock.local(now)
    cutoff = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return cutoff if cutoff <= local else cutoff - timedelta(days=1)


def send_digests(now: datetime, *, limit: int = 5000) -> int:
    """Email each "daily digest" reader one message listing their unsent notices made before today's
    cutoff; returns how many emails were sent. Run hourly: notices made after the cutoff wait for
    tomorrow's, so no reader gets two in a day."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    cutoff = digest_cutoff(now)
    query = (
        sa.select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.delivery == Delivery.DIGEST,
               Notification.created_at < cutoff, Notification.created_at >= cutoff - DIGEST_REACH)
        .order_by(Notification.user_id, Notification.id).limit(limit)
    )
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    sent = 0
    with _smtp() as smtp:
        for _user_id, group in groupby(rows, key=lambda row: row[0].user_id):
            items = list(group)
            notes = [note for note, _email in items]
            smtp.send_message(_digest(notes, items[0][1]))
            for note in notes:
                note.emailed_at = now
            db.session.flush()
            sent += 1
    return sent


def _line(note: Notification) -> str:
    return f"{describe(note)}\n{public_url_of(note)}"


def public_url_of(note: Notification) -> str:
    """The notice's link as an absolute address for an email (on PUBLIC_URL)."""
    base = current_app.config.get("PUBLIC_URL") or "http://localhost"
    return base.rstrip("/") + link(note)


def _message(note: Notification, email: str) -> EmailMessage:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), current_app.test_request_context():
        text = describe(note)
        body = _line(note) + "\n\n" + _settings_line()
        return mailer.message(email, _("Shanlian: %(text)s", text=text), body)


def _digest(notes: list[Notification], email: str) -> EmailMessage:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), current_app.test_request_context():
        lines = "\n\n".join(f"- {_line(note)}" for note in notes)
        body = _("Your notices of the day:") + "\n\n" + lines + "\n\n" + _settings_line()
        return mailer.message(email, _("Shanlian: your daily digest (%(count)s notices)", count=len(notes)), body)


def _settings_line() -> str:
    return _("Choose which notices you get, and how, at %(url)s", url=public_url("notifications.settings"))
