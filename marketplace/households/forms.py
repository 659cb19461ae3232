"""Staff forms: a referral entered by hand, triage into a need, decline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from marketplace import clock, money, taxonomy
from marketplace.forms import region_choices
from marketplace.households.contract import HouseholdIn, NeedIn, limits
from marketplace.households.models import DECLINE_CODE_LABELS, DeclineCode

KIND_CHOICES = {"wish": _l("Micro-wish"), "service": _l("Service")}
HTML_LIMITS = {"ge": "min", "le": "max", "max_length": "maxlength", "required": "required"}


def yuan_to_fen(value: Any) -> int:
    """¥12.50 → 1250 fen, exactly."""
    return int(round(float(value) * 100))


class Contract:
    """A field's rules as the contract declares them, shown as the browser's hints (required, lengths, bounds).

    It checks nothing: the referral the form builds is validated by the contract as a whole, and its
    errors come back to the fields (households/views.py).
    """

    def __init__(self, model: type[HouseholdIn | NeedIn], name: str) -> None:
        self.field_flags = {HTML_LIMITS[key]: value for key, value in limits(model, name).items()
                            if key in HTML_LIMITS and value is not False}

    def __call__(self, form: FlaskForm, field: Any) -> None:
        """Nothing to check here."""


class ReferralForm(FlaskForm):
    """A referral typed in by staff (for referrals that arrive on paper or by phone).

    The form reads what is typed (numbers, the date, the amount in yuan, the choices); the contract
    judges the referral it makes, exactly as it judges one from the API or a file.
    """

    category = SelectField(_l("Assistance category"), choices=taxonomy.choices(taxonomy.HOUSEHOLD_CATEGORIES))
    group = SelectField(_l("Household group"), choices=taxonomy.choices(taxonomy.HOUSEHOLD_GROUPS))
    street_code = SelectField(_l("Street"), validators=[DataRequired(message=_l("Choose the street."))])
    members = IntegerField(_l("Household members"), validators=[Contract(HouseholdIn, "members")])
    head_name = StringField(_l("Name of the head of household"), validators=[Contract(HouseholdIn, "head_name")])
    phone = StringField(_l("Phone"), validators=[Contract(HouseholdIn, "phone")])
    address = StringField(_l("Address"), validators=[Contract(HouseholdIn, "address")])
    id_number = StringField(_l("ID number"), validators=[Contract(HouseholdIn, "id_number")])
    need_kind = SelectField(_l("Kind of need"), choices=taxonomy.choices({**KIND_CHOICES,
                                                                          "renovation": _l("Renovation")}))
    need_category = SelectField(_l("Need category"), choices=taxonomy.choices(taxonomy.NEED_CATEGORIES))
    title = StringField(_l("What is needed"), validators=[Contract(NeedIn, "title")])
    description = TextAreaField(_l("Situation (internal)"), validators=[Contract(NeedIn, "description")])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[Contract(NeedIn, "quantity")])
    value_yuan = StringField(_l("Estimated value (yuan)"), validators=[DataRequired()])
    urgent = BooleanField(_l("Urgent"))
    needed_by = DateField(_l("Needed by"), validators=[Contract(NeedIn, "needed_by")])

    def __init__(self, *args: Any, scope: str | None = None, **kwargs: Any) -> None:
        """`scope`: the caseworker's district or street, whose streets alone are offered (None: all)."""
        super().__init__(*args, **kwargs)
        streets = [c for c in region_choices() if len(c.value) == 9]
        if scope is not None:
            streets = [c for c in streets if c.value == scope or c.value[:6] == scope]
        # No street is picked for the caseworker, unless only one is theirs to pick.
        self.street_code.choices = streets if len(streets) == 1 else [SelectChoice("", _l("Choose the street")),
                                                                       *streets]

    def validate_value_yuan(self, field: StringField) -> None:
        """A non-negative amount with at most two decimals."""
        try:
            value = float(field.data)
        except (TypeError, ValueError):
            raise ValidationError(_l("Enter an amount in yuan, e.g. 299 or 299.50.")) from None
        if value < 0 or value > 100_000_000 or round(value, 2) != value:
            raise ValidationError(_l("Enter an amount in yuan, e.g. 299 or 299.50."))


class TriageForm(FlaskForm):
    """One need made from a referral: what organisations will read."""

    kind = SelectField(_l("Kind"), choices=taxonomy.choices(KIND_CHOICES))
    category = SelectField(_l("Category"), choices=taxonomy.choices(taxonomy.NEED_CATEGORIES))
    title = StringField(_l("Public title"), validators=[DataRequired(), Length(max=100)])
    story = TextAreaField(
        _l("Public story"), validators=[DataRequired(), Length(min=10, max=2000)],
        description=_l("Organisations read this. Never write a name, phone, address or ID number: "
                       "e.g. \"Ms L, 72, lives alone in Beijing Street\"."),
    )
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 1000)])
    value_yuan = StringField(_l("Value (yuan)"), validators=[DataRequired()])
    urgent = BooleanField(_l("Urgent"))
    claim_deadline = DateField(_l("Claim by"), validators=[InputRequired()])
    fulfil_by = DateField(_l("Fulfil by"), validators=[InputRequired()])
    publish_now = BooleanField(_l("Publish now"), default=True)

    validate_value_yuan = ReferralForm.validate_value_yuan

    def validate_claim_deadline(self, field: DateField) -> None:
        """Not in the past."""
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Choose today or a later date."))

    def validate_fulfil_by(self, field: DateField) -> None:
        """Not before the claim deadline."""
        if field.data and self.claim_deadline.data and field.data < self.claim_deadline.data:
            raise ValidationError(_l("The fulfil-by date cannot be before the claim deadline."))

    @classmethod
    def for_referral(cls, referral: Any, claim_days: int) -> TriageForm:
        """Pre-filled from what the referral asked for."""
        today = clock.today()
        deadline = min(today + timedelta(days=claim_days), max(referral.needed_by, today))
        return cls(
            kind=referral.need_kind if referral.need_kind in KIND_CHOICES else "wish",
            category=referral.need_category, title=referral.title, quantity=referral.quantity,
            value_yuan=money.input_value(referral.estimated_value_fen), urgent=referral.urgency == "urgent",
            claim_deadline=deadline, fulfil_by=max(referral.needed_by, deadline),
        )


class DeclineForm(FlaskForm):
    """Decline with a reason that goes back to the source."""

    # The contract's coded reason (the outcome's `reason`); a form posted without one is "other".
    code = SelectField(_l("Why"), choices=[SelectChoice(c.value, label) for c, label in DECLINE_CODE_LABELS.items()],
                       default=DeclineCode.OTHER)
    reason = TextAreaField(_l("Reason for declining"), validators=[Length(max=2000)],
                           description=_l("Required for “other”; sent back to the source."))

    def validate_reason(self, field: TextAreaField) -> None:
        """"Other" says what it is."""
        if self.code.data == DeclineCode.OTHER and not (field.data or "").strip():
            raise ValidationError(_l("a decline needs a reason"))


class MergeForm(FlaskForm):
    """Of a likely-duplicate pair, the household to keep; the other is merged into it."""

    kept = IntegerField(_l("Household to keep"), validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    first = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    second = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    reason = StringField(_l("Why they are one household (for the audit log)"), validators=[Length(max=2000)])

    @property
    def merged(self) -> int | None:
        """The other household of the pair, or None when the kept one is not of the pair."""
        pair = (self.first.data, self.second.data)
        return pair[1] if self.kept.data == pair[0] else pair[0] if self.kept.data == pair[1] else None
