"""The giving form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, StringField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional


class GiveForm(FlaskForm):
    """How much, and whether the donor's name may be shown."""

    amount = DecimalField(_l("Amount (¥)"), places=2, validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])
    donor_name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=60)])
    show_name = BooleanField(_l("Show my name on the leaderboard (otherwise anonymous)"))
    email = EmailField(_l("Email for a receipt (optional)"), validators=[Optional(), Email(), Length(max=200)])
