"""The preferences form: one choice per kind of notice meant for the reader."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from marketplace.notifications.kinds import Kind
from marketplace.notifications.models import Delivery

DELIVERY_LABELS = {
    Delivery.NOW: _l("Immediately (in the app and by email)"),
    Delivery.DIGEST: _l("Daily digest (in the app now, one email a day)"),
    Delivery.OFF: _l("Off"),
}


def preferences_form(offered: list[Kind], current: Mapping[str, Delivery]) -> FlaskForm:
    """A form with one radio choice per offered kind, set to the reader's current choices (a post's own
    choices win, as in every FlaskForm)."""

    class PreferencesForm(FlaskForm):
        pass

    choices = [SelectChoice(d.value, label) for d, label in DELIVERY_LABELS.items()]
    for kind in offered:
        setattr(PreferencesForm, kind.code, RadioField(kind.label, choices=choices, validators=[InputRequired()]))
    data = {code: value.value for code, value in current.items()}
    return PreferencesForm(data=data)
