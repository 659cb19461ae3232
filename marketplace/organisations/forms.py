"""Registration and review forms for organisations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from marketplace import taxonomy
from marketplace.accounts.password_forms import PASSWORD_HINT, StrongPassword
from marketplace.forms import MultiCheckboxField, region_choices
from marketplace.organisations import credit_code
from marketplace.organisations.service import credit_code_taken


class RegistrationForm(FlaskForm):
    """An organisation applies to join, with its first member account."""

    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Type"), choices=taxonomy.choices(taxonomy.ORGANISATION_KINDS))
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), Length(max=30)],
        description=_l("18 characters, as printed on your registration certificate."),
    )
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=50)])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[DataRequired(), Regexp(r"^[0-9+\- ]{7,20}$", message=_l("Enter a phone number."))],
    )
    contact_email = EmailField(_l("Contact email"), validators=[DataRequired(), Email(), Length(max=254)])
    description = TextAreaField(_l("What your organisation does"), validators=[Length(max=2000)])
    regions = SelectMultipleField(
        _l("Service regions"),
        validators=[DataRequired(message=_l("Choose at least one region."))],
        description=_l("Choose a whole district or single streets."),
    )
    categories = MultiCheckboxField(
        _l("What you can help with"),
        choices=taxonomy.choices(taxonomy.NEED_CATEGORIES),
        validators=[DataRequired(message=_l("Choose at least one category."))],
    )
    # Not checked for an existing account: the form answers alike whether or not the email has one
    # (organisations.service.register writes to the owner instead).
    member_email = EmailField(_l("Your sign-in email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200),
                    StrongPassword(email_field="member_email", name_field="contact_name")],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.regions.choices = region_choices()

    def validate_credit_code(self, field: StringField) -> None:
        """The code must be well-formed, carry the right check character and be new here."""
        code = credit_code.normalise(field.data)
        if len(code) != 18:
            raise ValidationError(_l("The code has 18 characters."))
        if not credit_code.is_valid(code):
            raise ValidationError(_l("This code is not valid: check the characters you typed."))
        if credit_code_taken(code):
            raise ValidationError(_l("An organisation with this code is already registered."))


class ReviewForm(FlaskForm):
    """Approve, or reject with a reason."""

    decision = SelectField(
        _l("Decision"), choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))]
    )
    reason = TextAreaField(
        _l("Reason (required to reject; the organisation will read it)"), validators=[Length(max=2000)]
    )

    def validate_reason(self, field: TextAreaField) -> None:
        """A rejection must say why."""
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the organisation is rejected."))


class RecommendationForm(FlaskForm):
    """Advice to the deciding staff: approve or reject, and why."""

    decision = SelectField(
        _l("We recommend to"), choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))]
    )
    reason = TextAreaField(
        _l("Why (the deciding staff read it)"), validators=[DataRequired(message=_l("Say why.")), Length(max=2000)]
    )


class CapabilityForm(FlaskForm):
    """The organisation's capability profile: what, where, how much and how fast."""

    categories = MultiCheckboxField(
        _l("Care categories and services you provide"),
        choices=taxonomy.choices(taxonomy.NEED_CATEGORIES),
        validators=[DataRequired(message=_l("Choose at least one category."))],
    )
    regions = SelectMultipleField(
        _l("Service regions"),
        validators=[DataRequired(message=_l("Choose at least one region."))],
        description=_l("Choose a whole district or single streets."),
    )
    capacity_open = IntegerField(_l("Open claims at once"), validators=[Optional(), NumberRange(0, 10_000)],
                                 description=_l("Leave empty for no limit."))
    capacity_month = IntegerField(_l("New claims per month"), validators=[Optional(), NumberRange(0, 100_000)],
                                  description=_l("Leave empty for no limit."))
    value_min = IntegerField(_l("Usual value from (yuan)"), validators=[Optional(), NumberRange(0, 10_000_000)])
    value_max = IntegerField(_l("Usual value up to (yuan)"), validators=[Optional(), NumberRange(0, 10_000_000)])
    response_hours = IntegerField(_l("We usually answer within (hours)"),
                                  validators=[Optional(), NumberRange(1, 24 * 60)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.regions.choices = region_choices()

    def validate_value_max(self, field: IntegerField) -> None:
        """The range must not be upside down."""
        if field.data is not None and self.value_min.data is not None and field.data < self.value_min.data:
            raise ValidationError(_l("The largest usual value must not be below the smallest."))
