"""Forms: the public lead form, and staff's triage of a lead (into a referral, or closed)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.forms import region_choices
from marketplace.households.forms import ReferralForm
from marketplace.leads.models import CLOSE_REASON_LABELS


class LeadForm(FlaskForm):
    """As little as lets the street's staff find the household: where, why, and how to reach it."""

    street_code = SelectField(_l("Street where the household lives"),
                              validators=[DataRequired(message=_l("Choose the street."))])
    description = TextAreaField(
        _l("Why the household may need help"), validators=[DataRequired(), Length(min=10, max=2000)],
        description=_l("E.g. an elderly neighbour living alone whose roof leaks. No ID numbers, please."))
    household_contact = StringField(
        _l("Where to find the household (address or phone)"), validators=[Optional(), Length(max=300)],
        description=_l("Seen only by the street's staff."))
    reporter_contact = StringField(
        _l("How we can reach you (optional)"), validators=[Optional(), Length(max=200)],
        description=_l("Leave it empty to report anonymously."))
    # The honeypot: hidden from people by the page, filled by bots that fill every field.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        streets = [c for c in region_choices() if len(c.value) == 9]
        self.street_code.choices = [SelectChoice("", _l("Choose the street")), *streets]


class LeadReferralForm(ReferralForm):
    """The referral staff make of a lead: the referral form, prefilled from the lead."""


class CloseLeadForm(FlaskForm):
    """Why the lead ends without a referral."""

    reason = SelectField(_l("Why"), choices=[SelectChoice(code, label) for code, label in CLOSE_REASON_LABELS.items()])
    note = TextAreaField(_l("Note (required for “other”)"), validators=[Optional(), Length(max=2000)])
