"""Behind the recommended proxy every client keeps its own address (ProxyFix, PROXY_COUNT); without
one, a forwarded-for header a client sends itself changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from tests.accounts.support import Clock, attempt
from tests.conftest import PASSWORD, IsolatedClient, app_config, make_user

PROXY = "10.0.0.2"  # every request reaches the app from the proxy's address


@pytest.fixture
def proxied(app: Flask, english: None) -> Iterator[Flask]:
    """The same database served by an app told that one proxy stands in front of it."""
    behind = create_app({**app_config(app.config["SQLALCHEMY_DATABASE_URI"]), "PROXY_COUNT": 1,
                         "BABEL_DEFAULT_LOCALE": "en"})
    behind.test_client_class = IsolatedClient
    Clock(behind)
    limiter.enabled = True
    yield behind
    limiter.enabled = False
    with behind.app_context():
        db.engine.dispose()


def _from(client, email, password="wrong-password", *, client_ip: str):  # type: ignore[no-untyped-def]
    """An attempt as the proxy passes it on: from the proxy, naming the client in X-Forwarded-For."""
    return attempt(client, email, password, ip=PROXY, headers={"X-Forwarded-For": client_ip})


def test_behind_one_proxy_each_client_has_its_own_buckets(app, proxied):
    attacked, other = make_user(Role.STAFF), make_user(Role.STAFF)
    guesser, colleague, owner = proxied.test_client(), proxied.test_client(), proxied.test_client()
    codes = [_from(guesser, attacked.email, client_ip="203.0.113.5").status_code for _ in range(12)]
    # the proxy's address is everyone's: without ProxyFix these would share the guesser's bucket
    assert _from(colleague, other.email, PASSWORD, client_ip="198.51.100.30").status_code == 302
    assert _from(owner, attacked.email, PASSWORD, client_ip="198.51.100.20").status_code == 302
    assert codes == [200] * 5 + [429] * 7
    # a client cannot pick another address by adding its own header in front: the proxy's entry is used
    spoofed = _from(guesser, attacked.email, client_ip="198.51.100.20, 203.0.113.5")
    assert spoofed.status_code == 429
    ips = set(db.session.scalars(sa.select(AuditEvent.ip).where(AuditEvent.action.startswith("auth."))))
    assert ips == {"203.0.113.5", "198.51.100.20", "198.51.100.30"}  # the audit log keeps the clients


def test_without_a_proxy_a_forwarded_for_header_is_ignored(app, client, throttling):
    assert app.config.get("PROXY_COUNT", 0) == 0
    user = make_user(Role.STAFF)
    codes = [attempt(client, user.email, ip="192.0.2.1", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
             for n in range(6)]
    assert codes == [200] * 5 + [429]  # one bucket: the address the connection came from
    ips = set(db.session.scalars(sa.select(AuditEvent.ip).where(AuditEvent.action.startswith("auth."))))
    assert ips == {"192.0.2.1"}
