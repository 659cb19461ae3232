"""Changing your own password: every role, from the header; the other sessions end; an email tells.

Before, there was no way to change a password at all.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests.accounts.password_support import body, mailbox
from tests.conftest import PASSWORD, make_user, sign_in

NEW = "purple-tram-ticket-88"


def _change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post("/account/password", data={"current_password": current, "password": new,
                                                  "confirm": new if confirm is None else confirm})


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_changes_its_password_from_the_header(app, role):
    user = make_user(role)
    client = app.test_client()
    sign_in(client, user)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/account/password"' in home  # the link in every signed-in page's header
    assert "修改密码" in client.get("/account/password").get_data(as_text=True)
    with mailbox(app) as box:
        response = _change(client)
        assert response.status_code == 302
        assert "密码已更改" in client.get(response.headers["Location"]).get_data(as_text=True)
        notice = box.to(user.email)
    assert len(notice) == 1 and user.email in body(notice[0]) and "密码已于" in body(notice[0])
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    sign_in(fresh, user, NEW)
    changes = sa.select(AuditEvent).where(AuditEvent.action == "account.password_change")
    assert [(e.actor_id, e.object_id) for e in db.session.scalars(changes)] == [(user.id, str(user.id))]


def test_other_sessions_end_and_this_one_stays(app):
    user = make_user(Role.STAFF)
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    assert elsewhere.get("/staff/").status_code == 200
    assert _change(here).status_code == 302
    assert here.get("/staff/").status_code == 200
    response = elsewhere.get("/staff/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field"),
    [("wrong-password-9", NEW, NEW, "current_password"),
     (PASSWORD, "12345678", "12345678", "password"),
     (PASSWORD, "password", "password", "password"),
     (PASSWORD, NEW, "purple-tram-ticket-89", "confirm"),
     (PASSWORD, PASSWORD, PASSWORD, "password")],
    ids=["wrong current", "12345678", "password", "repeat differs", "unchanged"],
)
def test_a_refused_change_keeps_the_old_password(app, current, new, confirm, field):
    user = make_user(Role.ORG_MEMBER)
    client = app.test_client()
    sign_in(client, user)
    response = _change(client, current, new, confirm)
    assert response.status_code == 200 and f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)
    assert client.get("/org/").status_code == 200  # still signed in
    assert "account.password_change" not in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_a_password_close_to_the_name_is_refused(app):
    user = make_user(Role.STAFF)
    user.display_name = "Huang Meiling"
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    page = _change(client, new="huangmeiling1", confirm="huangmeiling1").get_data(as_text=True)
    assert 'id="password-error"' in page and "姓名" in page


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
