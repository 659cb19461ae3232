"""The bell, the inbox, marking read, and email copies through a real local SMTP server."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from marketplace.accounts.models import Role
from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from marketplace.notifications import mail
from marketplace.notifications.models import Notification
from tests.conftest import make_need, make_user, sign_in


def _red(need):
    promised = need.promised_by
    recompute(datetime(promised.year, promised.month, promised.day, 12, tzinfo=SHANGHAI) + timedelta(days=2))
    db.session.commit()


def test_bell_counts_unread_and_marking_read_clears_it(app):
    need = make_need("claimed")
    _red(need)
    member = app.test_client()
    sign_in(member, need.claimed_by.members[0])
    page = member.get("/notifications/").get_data(as_text=True)
    assert 'class="count">2<' in page and f"/needs/{need.id}" in page  # approved, then the red light
    note = db.session.scalar(db.select(Notification).where(Notification.kind == "need_red"))
    other = app.test_client()
    sign_in(other, make_user(Role.STAFF, region="440106"))
    other.post("/notifications/read", data={"id": str(note.id)})  # not theirs: nothing happens
    db.session.refresh(note)
    assert note.read_at is None
    member.post("/notifications/read", data={"id": str(note.id)})
    db.session.refresh(note)
    assert note.read_at is not None
    assert 'class="count">1<' in member.get("/notifications/").get_data(as_text=True)
    member.post("/notifications/read")  # all of them
    assert 'class="count">0<' in member.get("/notifications/").get_data(as_text=True)


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # aiosmtpd needs a real port number to check it started
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_email_copies_are_sent_once_when_smtp_is_configured(app, smtp_server):
    port, received = smtp_server
    need = make_need("claimed")
    make_user(Role.STAFF, region="440104")
    _red(need)
    now = datetime.now(SHANGHAI)
    assert mail.send_pending(now) == 0  # no SMTP configured: nothing sent, nothing marked
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        sent = mail.send_pending(now)
        db.session.commit()
        assert sent == 3 and len(received) == 3  # the member: approved and red; the staff: the digest
        assert mail.send_pending(now) == 0 and len(received) == 3
        assert {m["To"] for m in received} >= {need.claimed_by.members[0].email}
    finally:
        app.config.update(MAIL_SERVER="")
