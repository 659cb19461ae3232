"""Forms for managing accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from marketplace.accounts.models import Role
from marketplace.accounts.password_forms import PASSWORD_HINT, StrongPassword
from marketplace.extensions import db
from marketplace.forms import region_choices
from marketplace.organisations.models import Organisation

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.STAFF: _l("Civil-affairs staff"),
    Role.ORG_MEMBER: _l("Organisation member"),
    Role.OUTLET_STAFF: _l("Outlet staff"),
}


class AccessForm(FlaskForm):
    """Role, scope and status of an account."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    region_code = SelectField(_l("Region (staff)"), validate_choice=True)
    organisation_id = SelectField(_l("Organisation (members and outlet staff)"), validate_choice=True)
    is_enabled = BooleanField(_l("Account enabled"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region_code.choices = region_choices(blank="—")
        orgs = db.session.execute(sa.select(Organisation.id, Organisation.name).order_by(Organisation.name))
        self.organisation_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(i), n) for i, n in orgs]


class NewUserForm(AccessForm):
    """A new staff, admin or member account."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[Length(max=80)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=200), StrongPassword(email_field="email", name_field="display_name")],
        description=PASSWORD_HINT,
    )
