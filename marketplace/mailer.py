"""Emails that belong to a unit of work: posted during it, sent after its commit, dropped on rollback.

A password-reset link must not go out for a token the database never kept, and a refused form must
send nothing; so `post()` keeps the message on the database session, and the session's commit hands
it to one background sender thread. Sending in the background also keeps the answer's timing free of
the SMTP conversation: "forgot password" answers as fast for an unknown email as for a known one.

The server is the one the notification copies use (MAIL_SERVER, MAIL_PORT, MAIL_FROM). Without a
MAIL_SERVER nothing is sent; the log says so, with the whole message when MAIL_ECHO is on (local
development, where the reset link is then read from the server's output). One caveat: on SQLite,
`db.read_phase()` commits the unit's writes so far, and with them any message posted before it.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace.extensions import db

OUTBOX = "mailer_outbox"
log = logging.getLogger(__name__)
_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailer")
_sent: list[Future[None]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Server:
    """Where and how to send, read from the app's config at commit time (the thread has no app)."""

    host: str
    port: int
    echo: bool


def message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text email from the configured sender address."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = current_app.config.get("MAIL_FROM", "noreply@shanlian.local")
    mail["To"] = to
    mail.set_content(body)
    return mail


def post(mail: EmailMessage) -> None:
    """Send `mail` once the current unit of work commits; nothing if it rolls back."""
    db.session.info.setdefault(OUTBOX, []).append(mail)


def _server() -> Server:
    cfg = current_app.config
    return Server(cfg.get("MAIL_SERVER") or "", int(cfg.get("MAIL_PORT") or 25), bool(cfg.get("MAIL_ECHO")))


@sa.event.listens_for(db.session, "after_commit")
def _send_posted(session: Any) -> None:
    """The unit committed: hand its messages to the sender thread."""
    outbox = session.info.pop(OUTBOX, None)
    if outbox:
        future = _sender.submit(_deliver, _server(), outbox)
        with _lock:
            _sent[:] = [f for f in _sent if not f.done()] + [future]


@sa.event.listens_for(db.session, "after_rollback")
def _drop_posted(session: Any) -> None:
    """The unit was rolled back: what it posted never happened."""
    session.info.pop(OUTBOX, None)


def _deliver(server: Server, outbox: list[EmailMessage]) -> None:
    """Send one unit's messages (in the sender thread); a failure is logged, never raised."""
    if not server.host:
        for mail in outbox:
            detail = f"\n{mail.get_content()}" if server.echo else ""
            log.warning("email to %s not sent (no MAIL_SERVER): %s%s", mail["To"], mail["Subject"], detail)
        return
    try:
        with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
            for mail in outbox:
                smtp.send_message(mail)
    except (OSError, smtplib.SMTPException):
        log.exception("sending %d email(s) through %s:%s failed", len(outbox), server.host, server.port)


def wait_sent(timeout: float = 10) -> None:
    """Wait until every message handed to the sender so far is sent (tests, orderly shutdown)."""
    with _lock:
        pending = list(_sent)
    wait(pending, timeout=timeout)
