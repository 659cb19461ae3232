"""Forms of the meal pages: book, find a voucher, redeem, outlets, pledges, codes. Forms never commit."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.accounts.password_forms import PASSWORD_HINT, StrongPassword
from marketplace.forms import MultiCheckboxField
from marketplace.meals import phones
from marketplace.meals.models import WEEKDAY_LABELS

WEEKDAYS = [SelectChoice(str(n), label) for n, label in enumerate(WEEKDAY_LABELS)]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str | None) -> str | None:
    """Control characters dropped and spaces trimmed (no NUL ever reaches the database)."""
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else value


TEXT = {"filters": [clean]}


class PhoneField(StringField):
    """A phone number typed on a phone keypad."""

    def __call__(self, **kwargs: object) -> str:  # type: ignore[override]
        kwargs.setdefault("type", "tel")
        kwargs.setdefault("inputmode", "tel")
        kwargs.setdefault("autocomplete", "tel")
        return super().__call__(**kwargs)


def _valid_phone(_form: FlaskForm, field: StringField) -> None:
    if phones.normalise(field.data) is None:
        raise ValidationError(_l("Enter a mobile number (11 digits) or a landline with its area code."))


class CodeField(StringField):
    """A short printed code: capital letters, no autocorrect."""

    def __call__(self, **kwargs: object) -> str:  # type: ignore[override]
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("autocapitalize", "characters")
        kwargs.setdefault("spellcheck", "false")
        return super().__call__(**kwargs)


class BookForm(FlaskForm):
    """Book a meal: which day, a phone number, and (after the free meals) an eligibility code."""

    day = RadioField(_l("Which day?"), validators=[InputRequired(message=_l("Choose a day."))])
    phone = PhoneField(_l("Your phone number"), validators=[DataRequired(), Length(max=20), _valid_phone],
                       description=_l("We do not keep the number, only a coded form of it, so nobody can see it. "
                                      "It stops one number from booking many meals."))
    eligibility_code = CodeField(_l("Eligibility code (only if you have one)"), validators=[Optional(), Length(max=20)],
                                 description=_l("Your first meals are free with no code. After that, a caseworker "
                                                "or social worker gives you a code."))


class FindVoucherForm(FlaskForm):
    """Get a lost voucher page back with the number and the code."""

    phone = PhoneField(_l("Your phone number"), validators=[DataRequired(), Length(max=20), _valid_phone])
    code = CodeField(_l("The code of your meal (only for an older meal)"), validators=[Optional(), Length(max=20)],
                     description=_l("With the number alone you get your next meal, today's or tomorrow's."))


class RedeemForm(FlaskForm):
    """The outlet scans or types a voucher code."""

    code = CodeField(_l("Voucher code"), validators=[DataRequired(), Length(max=40)])


class OutletForm(FlaskForm):
    """A company's outlet."""

    name = StringField(_l("Outlet name"), **TEXT, validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), **TEXT, validators=[DataRequired(), Length(max=200)])
    street = SelectField(_l("Street"), validators=[DataRequired(message=_l("Choose the street."))])
    serves_from = TimeField(_l("Serving starts"), validators=[InputRequired()])
    serves_until = TimeField(_l("Serving ends"), validators=[InputRequired()])
    photo = FileField(_l("Photo of the outlet (optional; JPEG, PNG or WebP)"),
                      validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("JPEG, PNG or WebP only."))])
    is_active = BooleanField(_l("Serving free meals"), default=True)

    def validate_serves_until(self, field: TimeField) -> None:
        """Serving ends after it starts, on the same day."""
        if self.serves_from.data and field.data and field.data <= self.serves_from.data:
            raise ValidationError(_l("Serving must end after it starts."))


class PledgeForm(FlaskForm):
    """N meals a day at one outlet, on some weekdays of a date range."""

    outlet = SelectField(_l("Outlet"), coerce=int)
    meals_per_day = IntegerField(_l("Meals a day"), validators=[InputRequired(), NumberRange(1, 1000)])
    starts_on = DateField(_l("From"), validators=[InputRequired()])
    ends_on = DateField(_l("Until"), validators=[InputRequired()])
    weekdays = MultiCheckboxField(_l("On these days"), choices=WEEKDAYS,
                                  validators=[DataRequired(message=_l("Choose at least one weekday."))])

    def validate_ends_on(self, field: DateField) -> None:
        """The range ends on or after its start."""
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Choose an end date on or after the start."))

    @property
    def weekday_mask(self) -> int:
        """The chosen weekdays as the bit mask pledges store."""
        return sum(1 << int(day) for day in self.weekdays.data or [])


class OutletStaffForm(FlaskForm):
    """A sign-in for someone who redeems vouchers at an outlet."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Name"), **TEXT, validators=[Optional(), Length(max=80)])
    password = PasswordField(_l("Password"), description=PASSWORD_HINT, validators=[
        DataRequired(), Length(max=200), StrongPassword(email_field="email", name_field="display_name")])


class PledgeReviewForm(FlaskForm):
    """Staff approve a pledge or reject it with a reason."""

    decision = SelectField(_l("Decision"), choices=[SelectChoice("approve", _l("Approve")),
                                                      SelectChoice("reject", _l("Reject"))])
    reason = StringField(_l("Reason (needed to reject)"), **TEXT, validators=[Optional(), Length(max=500)])


class IssueCodeForm(FlaskForm):
    """A caseworker or social worker issues an eligibility code."""

    note = StringField(_l("Note for your records (optional)"), **TEXT, validators=[Optional(), Length(max=200)],
                       description=_l("A case number or a reminder. No names, phone or ID numbers."))
    valid_days = IntegerField(_l("Valid for (days)"), validators=[InputRequired(), NumberRange(1, 366)])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""
