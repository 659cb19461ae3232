"""Registration answers alike whether or not the email has an account, and is rate limited per client.

Before, a second registration with a known email answered "An account with this email already
exists." on the form, so anyone could test which emails have accounts; and nothing limited how often.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from marketplace.organisations import credit_code
from marketplace.organisations.models import Organisation
from tests.accounts.password_support import body, mailbox
from tests.conftest import PASSWORD, make_user, sign_in
from tests.organisations.test_organisations import form

APPLICANT_PASSWORD = "orange-ferry-lantern-42"


def _register(client, email: str, code_number: str):
    data = form(member_email=email, credit_code=credit_code.make(f"53440104MA{code_number}"),
                password=APPLICANT_PASSWORD, confirm=APPLICANT_PASSWORD)
    response = client.post("/org/register", data=data)
    return response, client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_email_with_an_account_gets_the_same_answer_and_its_owner_an_email(app, client):
    owner = make_user(Role.STAFF)
    with mailbox(app) as box:
        new, new_page = _register(client, "new-applicant@example.cn", "1111111")
        known, known_page = _register(client, owner.email.upper(), "2222222")
        [warning] = box.to(owner.email)
        assert box.to("new-applicant@example.cn") == []
    assert (known.status_code, known.headers["Location"]) == (new.status_code, new.headers["Location"]) \
        == (302, "/login")
    assert known_page == new_page and "申请已提交" in known_page
    assert "该邮箱已注册账号" not in known_page and "already exists" not in known_page
    assert "有人尝试用此邮箱在善联注册组织" in body(warning) and "/password/forgot" in body(warning)
    # Nothing was created for the known email, and its owner's account is as it was.
    names = db.session.scalars(sa.select(Organisation.credit_code)).all()
    assert names == [credit_code.make("53440104MA1111111")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == owner.email)) == 1
    sign_in(app.test_client(), owner, PASSWORD)
    assert app.test_client().post("/login", data={"email": owner.email, "password": APPLICANT_PASSWORD}) \
        .status_code == 200
    attempt = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.registration_existing_email"))
    assert attempt.object_id == str(owner.id)


def test_the_new_applicant_still_signs_in_at_once(app, client):
    _register(client, "fresh@example.cn", "3333333")
    member = db.session.scalar(sa.select(User).where(User.email == "fresh@example.cn"))
    assert member.role == Role.ORG_MEMBER
    sign_in(client, member, APPLICANT_PASSWORD)


def test_a_weak_password_is_refused_alike_for_known_and_unknown_emails(app, client):
    owner = make_user(Role.STAFF)
    pages = []
    for email in (owner.email, "someone-new@example.cn"):
        response = client.post("/org/register", data=form(member_email=email, password="password123",
                                                          confirm="password123"))
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True).replace(email, "EMAIL"))
    assert pages[0] == pages[1] and 'id="password-error"' in pages[0]


def test_registration_is_rate_limited_per_client(app):
    limiter.enabled = True
    limiter.reset()
    configured = app.config["REGISTRATION_RATE_LIMIT"]
    app.config["REGISTRATION_RATE_LIMIT"] = "3 per hour"
    try:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        codes = [client.post("/org/register", data=form(name="")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        assert other.post("/org/register", data=form(name="")).status_code == 200
    finally:
        app.config["REGISTRATION_RATE_LIMIT"] = configured
        limiter.enabled = False
