"""Forms: a transfer to a department, the department's answer, and a department (admins)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from marketplace import clock
from marketplace.transfers.models import TRANSFER_OUTCOME_LABELS


class TransferForm(FlaskForm):
    """Which department, by when it should answer, and what it is asked to do."""

    department_id = SelectField(_l("Department"), validators=[DataRequired(message=_l("Choose the department."))])
    due_on = DateField(_l("Answer due by"), validators=[InputRequired()])
    note = TextAreaField(_l("What the department is asked to do"),
                         validators=[DataRequired(), Length(max=2000)],
                         description=_l("Internal: the department and staff of the region read it."))

    def __init__(self, *args: Any, departments: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.department_id.choices = [SelectChoice("", _l("Choose the department"))] + [
            SelectChoice(str(d.id), d.name) for d in departments]

    def validate_due_on(self, field: DateField) -> None:
        """Not in the past."""
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Choose today or a later date."))


class AnswerForm(FlaskForm):
    """The department's answer, as staff heard it."""

    outcome = SelectField(_l("What the department decided"),
                          choices=[SelectChoice(code, label) for code, label in TRANSFER_OUTCOME_LABELS.items()])
    answer = TextAreaField(_l("The department's answer"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("The assistance system that sent the referral reads this answer."))


class DepartmentForm(FlaskForm):
    """A government department and the contact who answers transfers."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    remit = StringField(_l("What it handles"), validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    contact_email = StringField(_l("Contact email"), validators=[Optional(), Email(), Length(max=120)])
    is_active = BooleanField(_l("Takes transfers"), default=True)
