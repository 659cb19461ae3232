"""A real local SMTP server that keeps what the app sends, and helpers to read the reset link in it.

`mailbox(app)` is a context manager (not a fixture, so test modules import it without shadowing);
the app's MAIL_SERVER points at it while it runs.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from email.message import Message
from urllib.parse import urlsplit

from flask import Flask

from marketplace import mailer

LINK = re.compile(r"https?://\S+/password/reset/\S+")


class Mailbox:
    """What the local SMTP server received, in order."""

    def __init__(self) -> None:
        self.received: list[Message] = []

    def messages(self) -> list[Message]:
        """Every message so far, once the app's sender thread has handed over what it holds."""
        mailer.wait_sent()
        return list(self.received)

    def to(self, email: str) -> list[Message]:
        """The messages sent to one address."""
        return [m for m in self.messages() if m["To"] == email]


def body(message: Message) -> str:
    """The plain-text body, decoded."""
    return message.get_payload(decode=True).decode("utf-8")


def reset_path(message: Message) -> str:
    """The path of the reset link in a message (the test client asks by path)."""
    found = LINK.search(body(message))
    assert found, body(message)
    return urlsplit(found.group(0)).path


@contextlib.contextmanager
def mailbox(app: Flask) -> Iterator[Mailbox]:
    """Run an SMTP server on a free loopback port and point the app's MAIL_SERVER at it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as Keep

    box = Mailbox()

    class Handler(Keep):
        def handle_message(self, message: Message) -> None:
            box.received.append(message)

    with socket.socket() as probe:  # aiosmtpd needs a real port number to check it started
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield box
    finally:
        mailer.wait_sent()
        app.config.update(MAIL_SERVER="")
        controller.stop()
