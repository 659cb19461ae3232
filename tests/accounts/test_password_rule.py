"""The password rule: 10 characters, not common, not close to the account's email or name.

Before it, any 8 characters were accepted: "12345678" and "password" opened a staff account.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts import password_rule
from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from tests.conftest import PASSWORD, sign_in
from tests.meals.support import make_outlet

EMAIL = "chen.xiaoli@yuexiu-care.example.cn"
NAME = "陈晓丽"
WEAK = ["12345678", "password", "password123", "1234567890", "qwertyuiop", "iloveyou12", "correct horse",
        "correct-horse-1", "Tr0ub4dor&3", "shanlian-demo", "shanlian2026!",
        # the account's own email and name, dressed up
        EMAIL, "chen.xiaoli2024", "Chen.Xiaoli!!", "yuexiu-care-1", "chenxiaoli@123", "陈晓丽陈晓丽1234"]
STRONG = [PASSWORD, "kapok-flower-2026", "晚上七点在北京路喝早茶", "purple-tram-ticket-88", "g7#Lq9!vRt2x"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_when_an_account_is_created(app, password):
    with pytest.raises(password_rule.PasswordRefused):
        accounts.create_user(EMAIL, password, Role.ADMIN, display_name=NAME)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_are_accepted(app, password):
    assert password_rule.judge(password, email=EMAIL, name=NAME)
    user = accounts.create_user(EMAIL, password, Role.ADMIN, display_name=NAME)
    assert user.check_password(password)


def test_each_refusal_says_why_in_chinese(app):
    with app.test_request_context():
        assert "10" in password_rule.judge("short-1", email=EMAIL).message
        assert "常见" in password_rule.judge("password123", email=EMAIL).message
        assert "邮箱" in password_rule.judge("chen.xiaoli2024", email=EMAIL, name=NAME).message
        assert "示例" in password_rule.judge("correct horse", email=EMAIL).message


def _admin_form(client, password):
    return client.post("/admin/users/new", data={
        "email": EMAIL, "display_name": NAME, "password": password, "role": "admin", "region_code": "",
        "organisation_id": "", "is_enabled": "y"})


def test_the_admin_form_shows_the_reason_on_the_field_in_chinese_and_in_english(as_role):
    admin = as_role(Role.ADMIN)
    response = _admin_form(admin, "password123")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="password-error"' in page
    assert "这个密码太常见了" in page and "This is a very common password" not in page
    admin.get("/lang/en")
    page = _admin_form(admin, "password123").get_data(as_text=True)
    # English readers also get zxcvbn's own advice, which exists in English only.
    assert "This password is too common" in page and "This is a very common password." in page
    assert db.session.scalar(sa.select(User).where(User.email == EMAIL)) is None
    assert _admin_form(admin, "purple-tram-ticket-88").status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == EMAIL)) is not None


def test_the_command_line_refuses_a_weak_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "root@example.cn", "--role", "admin", "--password", "12345678"])
    assert result.exit_code == 1 and "10" in result.output
    result = runner.invoke(args=["user", "create", "root@example.cn", "--role", "admin", "--password", "password"])
    assert result.exit_code == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    result = runner.invoke(args=["user", "create", "root@example.cn", "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output


def test_the_rule_estimates_a_long_password_without_failing(app):
    assert password_rule.judge("x7" * 100, email=EMAIL) is not None  # zxcvbn itself stops at 72 characters
    assert not password_rule.judge("x" * 201, email=EMAIL)


def test_a_company_cannot_give_its_outlet_a_weak_password(app):
    outlet = make_outlet()
    member = app.test_client()
    sign_in(member, outlet.organisation.members[0])
    for weak in ("12345678", "password", "counter@yuewei.example.cn"):
        response = member.post(f"/org/meals/outlets/{outlet.id}/staff", data={
            "email": "counter@yuewei.example.cn", "password": weak, "display_name": "前台"}, follow_redirects=True)
        assert "flash-error" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "counter@yuewei.example.cn")) is None
