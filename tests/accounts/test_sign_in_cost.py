"""Sign-in costs the same for every email: one password hash check, whether or not it has an account.

The times themselves are measured by scripts/bench_signin.py (docs/BENCHMARKS.md); a test only
counts the hash checks, which is what made the difference (110–145 ms with one, 9–23 ms without).
"""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from marketplace.accounts import service
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests.accounts.support import attempt
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash the sign-in checks against (the real check still runs)."""
    checked: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", counting)
    return checked


def _disabled_email() -> str:
    user = make_user(Role.STAFF)
    user.is_enabled = False
    db.session.commit()
    return user.email


CASES = {  # what is typed → the answer
    "unknown email": (lambda: "nobody@example.cn", "wrong-password", 200),
    "known email, wrong password": (lambda: make_user(Role.STAFF).email, "wrong-password", 200),
    "disabled account, right password": (_disabled_email, PASSWORD, 200),
    "known email, right password": (lambda: make_user(Role.STAFF).email, PASSWORD, 302),
}


@pytest.mark.parametrize("case", CASES)
def test_every_sign_in_checks_exactly_one_password_hash(app, client, hash_checks, case):
    email, password, status = CASES[case]
    assert attempt(client, email(), password).status_code == status
    assert len(hash_checks) == 1, case


def test_the_dummy_hash_has_the_method_and_cost_of_real_passwords(app):
    real = make_user(Role.STAFF).password_hash
    assert service._dummy_hash().split("$")[0] == real.split("$")[0] == "pbkdf2:sha256:1000"
    app.config["PASSWORD_HASH_METHOD"] = None  # production's default
    try:
        assert service._dummy_hash().split("$")[0] == "scrypt:32768:8:1"
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"


def test_a_failed_sign_in_is_audited_by_account_or_by_a_digest_never_by_the_text_typed(app, client):
    user = make_user(Role.STAFF)
    attempt(client, user.email, "my-secret-guess-1")
    attempt(client, "Typo-Of-Someone@Example.cn", "my-secret-guess-2")
    known, unknown = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)).all()
    assert (known.actor_id, known.object_id, known.actor_label) == (user.id, str(user.id), user.email)
    assert unknown.actor_id is None and unknown.object_id == ""
    assert unknown.actor_label.startswith("email#") and "typo" not in unknown.actor_label.lower()
    stored = " ".join(str(v) for e in (known, unknown) for v in (e.actor_label, e.before, e.after))
    assert "guess" not in stored
    # the same email always gets the same digest, so an admin can see it was tried again
    attempt(client, "typo-of-someone@example.cn", "x-guess")
    again = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert again.actor_label == unknown.actor_label
