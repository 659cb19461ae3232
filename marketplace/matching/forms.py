"""Forms of recommendations and routed offers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace import clock, taxonomy
from marketplace.matching.models import DECLINE_REASON_LABELS


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token ("not for us", cancel)."""


class RouteForm(FlaskForm):
    """Staff route the need to one organisation (the suggestions' buttons fill it)."""

    organisation_id = IntegerField(_l("Organisation"), validators=[InputRequired()])


class AcceptForm(FlaskForm):
    """Accepting an offer claims the need: with the date the organisation promises."""

    promised_by = DateField(_l("We will deliver by"), validators=[InputRequired()])
    # Only on a need of more than one item: how many the organisation takes (empty: all that is left).
    quantity = IntegerField(_l("How many we take"), validators=[Optional(), NumberRange(min=1, max=1000)])

    def validate_promised_by(self, field: DateField) -> None:
        """Not in the past (the need's fulfil-by date is checked by the claim itself)."""
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Choose today or a later date."))


class DeclineForm(FlaskForm):
    """Declining with a coded reason; "other" needs words."""

    reason = SelectField(_l("Why you decline"), choices=taxonomy.choices(DECLINE_REASON_LABELS),
                         validators=[InputRequired()])
    text = TextAreaField(_l("In your words"), validators=[Length(max=500)])

    def validate_text(self, field: TextAreaField) -> None:
        """"Other" says why."""
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Say why you decline."))
