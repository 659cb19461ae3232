"""The second factor of staff and admins, end to end through the pages: enrolment, the code step,
codes used once, recovery codes, the throttle on code guessing, turning off, an admin's reset."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.accounts.second_factor_models import RecoveryCode, SecondFactor
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests.accounts.support import (
    candidate_secret,
    code_step,
    enrol,
    password_step,
    secret_of,
    totp,
)
from tests.conftest import make_user, sign_in


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/staff/").status_code == 200


def _enrolled_staff(app, clock, role=Role.STAFF):  # type: ignore[no-untyped-def]
    """A staff member who set up a factor (while signed in), then signed out: (user, recovery codes)."""
    user = make_user(role)
    client = app.test_client()
    sign_in(client, user)
    _secret, codes = enrol(client, clock)
    client.post("/logout")
    return user, codes


def test_with_the_factor_required_staff_without_one_must_enrol_before_anything_else(
        app, client, clock, factor_required, english):
    user = make_user(Role.STAFF)
    answer = password_step(client, user)
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/second-factor/setup"
    assert not _signed_in(client)  # the password alone opened nothing
    page = client.get("/account/second-factor/setup").get_data(as_text=True)
    secret = candidate_secret(client)
    assert '<svg' in page and 'class="qr"' in page and secret[:4] in page  # the QR code and the key as text
    wrong = client.post("/account/second-factor/setup", data={"code": "000000"})
    assert "That code does not match" in wrong.get_data(as_text=True) and not _signed_in(client)
    done = client.post("/account/second-factor/setup", data={"code": totp(secret, clock.moment)})
    assert done.status_code == 200 and len(set(done.get_data(as_text=True).split("<code>"))) == 11
    assert done.headers["Cache-Control"] == "no-store"  # the codes are shown once, and kept by no cache
    assert _signed_in(client)
    assert secret_of(user) == secret
    assert _actions()[-2:] == ["auth.factor_enrolled", "auth.login"]


def test_sign_in_asks_for_the_code_after_the_password(app, client, clock, english):
    user, _codes = _enrolled_staff(app, clock)
    answer = password_step(client, user)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/code"
    assert not _signed_in(client)
    assert client.get("/login/code").status_code == 200
    answer = code_step(client, totp(secret_of(user), clock.moment))
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/"
    assert _signed_in(client)
    login = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login")
                               .order_by(AuditEvent.id.desc())).first()
    assert login.after == {"second_factor": "totp"}


def test_a_code_is_good_for_one_sign_in(app, client, clock, english):
    user, _codes = _enrolled_staff(app, clock)
    code = totp(secret_of(user), clock.moment)
    password_step(client, user)
    assert code_step(client, code).status_code == 302
    client.post("/logout")
    password_step(client, user)
    reused = code_step(client, code)
    assert reused.status_code == 200 and "already used" in reused.get_data(as_text=True)
    assert not _signed_in(client)
    clock.advance(30)  # the app's next code
    assert code_step(client, totp(secret_of(user), clock.moment)).status_code == 302


def test_codes_of_the_step_before_and_after_are_accepted_further_ones_not(app, client, clock, english):
    user, _codes = _enrolled_staff(app, clock)
    clock.advance(120)
    secret = secret_of(user)

    def steps_away(n: int) -> str:  # the code of a step before (-) or after (+) the app's now
        return totp(secret, clock.moment + timedelta(seconds=30 * n))

    password_step(client, user)
    assert code_step(client, steps_away(-2)).status_code == 200
    assert code_step(client, steps_away(-1)).status_code == 302  # a phone a little slow
    client.post("/logout")
    clock.advance(30)
    password_step(client, user)
    assert code_step(client, steps_away(2)).status_code == 200
    assert code_step(client, steps_away(1)).status_code == 302  # a phone a little fast
    client.post("/logout")
    password_step(client, user)
    # within the window, but not later than the last code used: refused
    assert code_step(client, steps_away(-1)).status_code == 200
    assert code_step(client, steps_away(0)).status_code == 200


def test_a_recovery_code_works_once(app, client, clock, english):
    user, codes = _enrolled_staff(app, clock)
    password_step(client, user)
    answer = code_step(client, codes[0])
    assert answer.status_code == 302 and _signed_in(client)
    used = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.recovery_code_used")).one()
    assert used.after == {"left": 9} and used.object_id == str(user.id)
    client.post("/logout")
    password_step(client, user)
    assert code_step(client, codes[0]).status_code == 200 and not _signed_in(client)
    # typed in capitals, without the hyphen, another code works
    assert code_step(client, codes[1].replace("-", "").upper()).status_code == 302


def test_recovery_codes_and_the_secret_are_never_stored_as_shown(app, clock):
    user, codes = _enrolled_staff(app, clock)
    hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & hashes and not any(c in h for c in codes for h in hashes)
    audit_text = " ".join(str((e.before, e.after, e.actor_label)) for e in db.session.scalars(sa.select(AuditEvent)))
    assert secret_of(user) not in audit_text and not any(c in audit_text for c in codes)


def test_code_guessing_is_throttled_like_passwords(app, client, throttling, clock):
    user, _codes = _enrolled_staff(app, clock)
    password_step(client, user)
    for _ in range(5):
        assert code_step(client, "123456").status_code == 200
    right = totp(secret_of(user), clock.moment)
    refused = code_step(client, right)
    assert refused.status_code == 429 and "Too many attempts, try again in 1 second." in refused.get_data(as_text=True)
    # the password step is throttled by the same count: starting again does not help
    assert password_step(client, user).status_code == 429
    clock.advance(1)
    password_step(client, user)
    assert code_step(client, right).status_code == 302
    assert "auth.login_throttled" in _actions()


def test_a_held_sign_in_expires_after_ten_minutes(app, client, clock):
    user, _codes = _enrolled_staff(app, clock)
    password_step(client, user)
    clock.advance(10 * 60 + 1)
    answer = code_step(client, totp(secret_of(user), clock.moment))
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert not _signed_in(client)


def test_organisation_members_are_never_asked_for_a_second_factor(app, client, clock, factor_required):
    member = make_user(Role.ORG_MEMBER)
    answer = password_step(client, member)
    assert answer.status_code == 302 and answer.headers["Location"] == "/org/"
    assert client.get("/account/second-factor/setup").status_code == 403


def test_when_the_setting_turns_on_a_staff_session_without_the_factor_ends(app, clock, factor_required, as_role):
    app.config["REQUIRE_SECOND_FACTOR"] = False
    staff, member = as_role(Role.STAFF), as_role(Role.ORG_MEMBER)
    app.config["REQUIRE_SECOND_FACTOR"] = True
    answer = staff.get("/staff/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert staff.get("/staff/").status_code == 302  # signed out, not only redirected
    assert member.get("/org/").status_code == 200


def test_the_owner_may_turn_it_off_with_a_code_unless_it_is_required(app, client, clock, english):
    user, _codes = _enrolled_staff(app, clock)
    password_step(client, user)
    code_step(client, totp(secret_of(user), clock.moment))
    clock.advance(30)
    app.config["REQUIRE_SECOND_FACTOR"] = True
    try:
        client.post("/account/second-factor/disable", data={"code": totp(secret_of(user), clock.moment)})
        assert db.session.get(SecondFactor, user.id) is not None
        assert "must keep a second factor" in client.get("/account/second-factor").get_data(as_text=True)
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = False
    client.post("/account/second-factor/disable", data={"code": "999999"})
    db.session.expire_all()
    assert db.session.get(SecondFactor, user.id) is not None  # a wrong code changes nothing
    client.post("/account/second-factor/disable", data={"code": totp(secret_of(user), clock.moment)})
    db.session.expire_all()
    assert db.session.get(SecondFactor, user.id) is None
    assert "auth.factor_disabled" in _actions()
    client.post("/logout")
    assert password_step(client, user).headers["Location"] == "/staff/"  # the password alone again


def test_setting_up_again_replaces_the_secret_and_the_recovery_codes(app, client, clock):
    user, old_codes = _enrolled_staff(app, clock)
    old_secret = secret_of(user)
    password_step(client, user)
    code_step(client, totp(old_secret, clock.moment))
    clock.advance(30)
    _new_secret, _new_codes = enrol(client, clock)
    client.post("/logout")
    password_step(client, user)
    assert code_step(client, totp(old_secret, clock.moment)).status_code == 200
    assert code_step(client, old_codes[2]).status_code == 200
    assert code_step(client, totp(secret_of(user), clock.moment)).status_code == 302


def test_an_admin_resets_a_lost_factor_the_sessions_end_and_the_next_sign_in_enrols(app, clock, as_role, english):
    user, _codes = _enrolled_staff(app, clock)
    owner = app.test_client()
    password_step(owner, user)
    code_step(owner, totp(secret_of(user), clock.moment))
    assert _signed_in(owner)
    admin = as_role(Role.ADMIN)
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Reset the second factor" in page and "10 recovery codes left" in page
    assert admin.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 302
    assert not _signed_in(owner)
    reset = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.factor_reset")).one()
    assert (reset.actor_id, reset.object_id) == (admin.user.id, str(user.id))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    log = admin.get("/admin/audit/").get_data(as_text=True)
    assert "reset the account&#39;s second factor" in log and "set up a second factor" in log  # in words
    assert password_step(owner, user).headers["Location"] == "/staff/"  # the password alone, while not required
    owner.post("/logout")
    app.config["REQUIRE_SECOND_FACTOR"] = True
    try:
        assert password_step(owner, user).headers["Location"] == "/account/second-factor/setup"
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = False


def test_odd_codes_are_refused_never_an_error(app, client, clock):
    user, _codes = _enrolled_staff(app, clock)
    odd = ["١٢٣٤٥٦", "１２３４５６", "🙂" * 6, "x" * 40, " 12 34 56 ", "-", "ǅ" * 10]
    password_step(client, user)
    assert [code_step(client, code).status_code for code in odd] == [200] * len(odd)
    staff = app.test_client()
    sign_in(staff, make_user(Role.STAFF))
    staff.get("/account/second-factor/setup")
    assert [staff.post("/account/second-factor/setup", data={"code": c}).status_code for c in odd] == [200] * len(odd)
