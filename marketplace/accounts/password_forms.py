"""Forms that choose a password (with the password rule as a field validator), change one, or reset one."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from marketplace.accounts import password_rule

PASSWORD_HINT = _l("At least %(n)s characters; not a common password, and not made of your email or name.",
                   n=password_rule.MIN_LENGTH)


class StrongPassword:
    """The password rule as a WTForms validator; the account's email and name come from the form's
    own fields (`email_field`, `name_field`) or, for an existing account, from `account` on the form."""

    def __init__(self, email_field: str = "", name_field: str = "") -> None:
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form: Any, field: Field) -> None:
        """Raise the rule's reason as this field's error."""
        account = getattr(form, "account", None)
        email = _data(form, self.email_field) or getattr(account, "email", "")
        name = _data(form, self.name_field) or getattr(account, "display_name", "")
        verdict = password_rule.judge(field.data or "", email=email, name=name)
        if not verdict:
            raise ValidationError(verdict.message)


def _data(form: Any, name: str) -> str:
    field = getattr(form, name, None) if name else None
    return str(field.data or "") if field is not None else ""


def new_password_fields(label: Any = None) -> tuple[PasswordField, PasswordField]:
    """A new password under the rule, and the same typed again."""
    return (
        PasswordField(label or _l("New password"), validators=[DataRequired(), Length(max=200), StrongPassword()],
                      description=PASSWORD_HINT),
        PasswordField(_l("Repeat the new password"),
                      validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]),
    )


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password, confirm = new_password_fields()

    def __init__(self, *args: Any, account: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account


class ForgotPasswordForm(FlaskForm):
    """The email of the account whose password is forgotten."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(ChangePasswordForm):
    """A new password, twice, chosen through an emailed link."""

    current_password = None  # the link stands in for it
