"""CSRF, redirects, headers, cookies, rate limits and sessions that really end."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests.conftest import PASSWORD, make_user, sign_in


def _post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and not rule.arguments:
            yield rule.rule


def test_every_form_refuses_a_post_without_csrf_token(app, as_role):
    admin = as_role(Role.ADMIN)
    app.config["WTF_CSRF_ENABLED"] = True
    for path in _post_rules(app):
        response = admin.post(path, data={"email": "x@example.cn", "password": "x"})
        # The API is signed with a key instead of a form token: without a key it is refused too.
        assert response.status_code == (401 if path.startswith("/api/") else 400), path
    # the account is untouched: still signed in, nothing created
    assert admin.get("/admin/").status_code == 200


def test_form_with_csrf_token_is_accepted(app):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(Role.STAFF)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


@pytest.mark.parametrize(
    "target", ["//evil.com", "/\\evil.com", "https://evil.com/", "javascript:alert(1)", "/\\/evil.com", "///evil.com"]
)
def test_login_next_never_leaves_the_site(client, app, target):
    user = make_user(Role.STAFF)
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_login_next_to_own_page_is_followed(client):
    user = make_user(Role.ADMIN)
    data = {"email": user.email, "password": PASSWORD, "next": "/admin/users?role=staff"}
    response = client.post("/login", data=data)
    assert response.headers["Location"] == "/admin/users?role=staff"


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "http://evil.com"])
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_security_headers_and_cookie_flags(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        user = make_user(Role.STAFF)
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_oversized_body_is_refused_with_413(app, client):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data={"email": big, "password": "x"})
    assert response.status_code == 413


def test_wrong_password_shows_field_error_and_is_audited(client):
    from marketplace.audit.models import AuditEvent

    user = make_user(Role.STAFF)
    response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions and "auth.login" not in actions


def test_login_starts_a_new_session(app, client):
    user = make_user(Role.STAFF)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def _session_cookie(client):
    return client.get_cookie("shanlian_session").value


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client):
    user = make_user(Role.STAFF)
    sign_in(client, user)
    stolen = _session_cookie(client)
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("shanlian_session", stolen)
    response = thief.get("/staff/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_an_account_ends_its_sessions(app, as_role):
    staff = as_role(Role.STAFF)
    assert staff.get("/staff/").status_code == 200
    admin = as_role(Role.ADMIN)
    response = admin.post(
        f"/admin/users/{staff.user.id}",
        data={"role": "staff", "region_code": "440104", "organisation_id": ""},  # is_enabled unchecked
    )
    assert response.status_code == 302
    response = staff.get("/staff/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # and the disabled account cannot sign in again
    assert staff.post("/login", data={"email": staff.user.email, "password": PASSWORD}).status_code == 200
