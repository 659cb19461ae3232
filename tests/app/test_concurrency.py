"""Many writers at once never meet "database is locked" (SQLite) and never get a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests.conftest import PASSWORD, make_user


def test_thirty_simultaneous_sign_ins_all_succeed(app):
    users = [make_user(Role.STAFF) for _ in range(30)]
    emails = [u.email for u in users]

    def sign_in(email: str) -> int:
        client = app.test_client()
        return client.post("/login", data={"email": email, "password": PASSWORD}).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(pool.map(sign_in, emails))
    assert codes == [302] * 30
    db.session.rollback()  # end the test's read snapshot from before the sign-ins
    logins = db.select(db.func.count()).where(AuditEvent.action == "auth.login")
    assert db.session.scalar(logins) == 30
