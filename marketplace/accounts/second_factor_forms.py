"""Forms of the second factor: a code at sign-in, a code confirming an enrolment or turning it off."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class SignInCodeForm(FlaskForm):
    """The sign-in's second step: a code from the app, or a recovery code."""

    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True},
    )


class TotpCodeForm(FlaskForm):
    """A code from the authenticator app."""

    code = StringField(
        _l("Code from the app"), validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
