"""Forgot password → an emailed single-use link that expires in 30 minutes; an admin can send one.

Before, there was no reset at all, neither by the owner nor by an admin.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts import passwords
from marketplace.accounts.models import Role, User
from marketplace.accounts.password_models import PasswordReset
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from tests.accounts.password_support import body, mailbox, reset_path
from tests.conftest import PASSWORD, make_user, sign_in

NEW = "purple-tram-ticket-88"


def _forgot(client, email):
    return client.post("/password/forgot", data={"email": email})


def _set(client, path, password=NEW, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def _actions() -> list[str]:
    db.session.rollback()  # a fresh snapshot: the requests committed in their own sessions
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def _signs_in(app, user, password) -> bool:
    return app.test_client().post("/login", data={"email": user.email, "password": password}).status_code == 302


def test_forgot_answers_alike_for_known_and_unknown_emails_and_mails_only_the_owner(app, client):
    user = make_user(Role.STAFF)
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in login_page
    with mailbox(app) as box:
        known = _forgot(client, user.email.upper())
        known_page = client.get(known.headers["Location"]).get_data(as_text=True)
        unknown = _forgot(client, "nobody@example.cn")
        unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
        assert box.to("nobody@example.cn") == []
        [mail] = box.messages()
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert known_page == unknown_page and "如果该邮箱已注册账号" in known_page
    assert mail["To"] == user.email and "30" in body(mail)
    assert _actions().count("account.password_reset_request") == 1


def test_the_token_is_kept_only_as_a_keyed_hash(app, client):
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        _forgot(client, user.email)
        [mail] = box.messages()
    token = reset_path(mail).rsplit("/", 1)[1]
    row = db.session.scalar(sa.select(PasswordReset))
    assert len(token) >= 40 and row.token_hash == passwords.token_hash(token) and token not in row.token_hash
    stored = " ".join(str(v) for v in db.session.execute(sa.select(PasswordReset.__table__)).one())
    assert token not in stored
    assert row.expires_at - row.created_at == timedelta(minutes=30)


def test_the_link_sets_a_new_password_once_and_ends_every_session(app, client):
    user = make_user(Role.ORG_MEMBER)
    signed_in = app.test_client()
    sign_in(signed_in, user)
    with mailbox(app) as box:
        _forgot(client, user.email)
        path = reset_path(box.messages()[0])
        page = client.get(path).get_data(as_text=True)
        assert user.email in page and 'id="password"' in page
        weak = _set(client, path, "password123")
        assert weak.status_code == 200 and 'id="password-error"' in weak.get_data(as_text=True)
        done = _set(client, path)
        assert done.status_code == 302 and done.headers["Location"].endswith("/login")
        assert "密码已于" in body(box.to(user.email)[-1])  # the notice that the password changed
    assert _signs_in(app, user, NEW) and not _signs_in(app, user, PASSWORD)
    response = signed_in.get("/org/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    again = _set(client, path, "another-fine-password-7")
    assert again.status_code == 410 and "此链接已失效" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    assert _signs_in(app, user, NEW)
    assert _actions().count("account.password_reset") == 1


def test_the_link_expires_after_30_minutes(app, client):
    user = make_user(Role.STAFF)
    start = clock.now()
    app.config["CLOCK"] = lambda: start
    try:
        with mailbox(app) as box:
            _forgot(client, user.email)
            _forgot(client, user.email)
            first, second = (reset_path(m) for m in box.messages())
        app.config["CLOCK"] = lambda: start + timedelta(minutes=29)
        assert client.get(first).status_code == 200
        app.config["CLOCK"] = lambda: start + timedelta(minutes=30, seconds=1)
        assert client.get(first).status_code == 410
        assert _set(client, second).status_code == 410
        assert not _signs_in(app, user, NEW)
    finally:
        app.config.pop("CLOCK")


def test_asking_again_keeps_earlier_links_but_using_one_ends_them_all(app, client):
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        for _ in range(3):
            _forgot(client, user.email)
        first, second, third = (reset_path(m) for m in box.messages())
    assert client.get(first).status_code == 200  # a stranger asking again in the owner's name spoils nothing
    assert _set(client, second).status_code == 302
    assert client.get(first).status_code == 410 and client.get(third).status_code == 410


def test_changing_the_password_ends_open_links(app, client):
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        _forgot(client, user.email)
        path = reset_path(box.messages()[0])
    sign_in(client, user)
    client.post("/account/password", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert app.test_client().get(path).status_code == 410


def test_unknown_and_disabled_accounts_get_no_link(app, client):
    user = make_user(Role.STAFF)
    user.is_enabled = False
    db.session.commit()
    with mailbox(app) as box:
        _forgot(client, user.email)
        _forgot(client, "ghost@example.cn")
        assert box.messages() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 0


def test_unknown_tokens_answer_410(client):
    assert client.get("/password/reset/nothing-like-a-token").status_code == 410
    assert client.get("/password/reset/" + "x" * 500).status_code == 410


def test_two_submissions_of_one_link_at_once_set_exactly_one_password(app, client):
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        _forgot(client, user.email)
        path = reset_path(box.messages()[0])
    candidates = ["purple-tram-ticket-88", "orange-ferry-lantern-42"]
    start = threading.Barrier(2)
    codes: dict[str, int] = {}

    def submit(password: str) -> None:
        browser = app.test_client()
        start.wait()
        codes[password] = _set(browser, path, password).status_code

    threads = [threading.Thread(target=submit, args=(p,)) for p in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(codes.values()) in ([200, 302], [302, 410])  # the loser sees the refusal or the dead link
    winner = next(p for p, code in codes.items() if code == 302)
    loser = next(p for p in candidates if p != winner)
    assert _signs_in(app, user, winner) and not _signs_in(app, user, loser)
    assert _actions().count("account.password_reset") == 1


def test_an_admin_sends_a_reset_link_from_the_account_page(app, as_role):
    admin = as_role(Role.ADMIN)
    user = make_user(Role.STAFF)
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'action="/admin/users/{user.id}/password-reset"' in page
    with mailbox(app) as box:
        response = admin.post(f"/admin/users/{user.id}/password-reset")
        assert response.status_code == 302
        [mail] = box.to(user.email)
    assert "管理员" in body(mail)
    assert _signs_in(app, user, PASSWORD)  # the current password works until a new one is set
    client = app.test_client()
    assert _set(client, reset_path(mail)).status_code == 302
    assert _signs_in(app, user, NEW)
    sent = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.password_reset_send"))
    assert sent.actor_id == admin.user.id and sent.object_id == str(user.id)
    used = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.password_reset"))
    assert used.after == {"link_sent_by": "admin"}


@pytest.mark.parametrize("role", [Role.STAFF, Role.ORG_MEMBER])
def test_only_an_admin_sends_reset_links(app, as_role, role):
    other = as_role(role)
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        assert other.post(f"/admin/users/{user.id}/password-reset").status_code == 403
        assert box.messages() == []
    with pytest.raises(passwords.PasswordError):
        passwords.send_reset(user, actor=db.session.get(User, other.user.id))


def test_forgot_is_rate_limited_per_client_and_email_without_locking_the_owner_out(app):
    limiter.enabled = True
    limiter.reset()
    try:
        user = make_user(Role.STAFF)
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        owner = app.test_client()
        owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        with mailbox(app) as box:
            codes = [_forgot(attacker, user.email).status_code for _ in range(4)]
            assert codes == [302, 302, 302, 429]
            assert _forgot(attacker, "someone-else@example.cn").status_code == 302  # other emails still answered
            assert _forgot(owner, user.email).status_code == 302  # the owner, elsewhere, is not blocked
            links = [reset_path(m) for m in box.to(user.email)]
        assert len(links) == 4
        assert _set(owner, links[0]).status_code == 302  # and the links the attacker caused still work
    finally:
        limiter.enabled = False


def test_a_link_is_mailed_only_when_its_unit_of_work_commits(app):
    user = make_user(Role.STAFF)
    with mailbox(app) as box:
        passwords.request_reset(user.email)  # outside a request, as a command would: the link is still whole
        db.session.rollback()
        assert box.messages() == []
        passwords.request_reset(user.email)
        db.session.commit()
        [mail] = box.messages()
    assert reset_path(mail).startswith("/password/reset/")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 1
