"""Forms of renovation projects: survey, plan lines, 一事一议, pledges, visits, maintenance."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.projects.models import LINE_KINDS, PLEDGE_KINDS

IMAGES = FileAllowed(["jpg", "jpeg", "png", "webp"], _l("JPEG, PNG or WebP only."))


def yuan_field(label: object, maximum: int = 1_000_000) -> DecimalField:
    """An amount in yuan (two decimals at most)."""
    return DecimalField(label, places=2, validators=[InputRequired(), NumberRange(min=0.01, max=maximum)])


class SurveyForm(FlaskForm):
    """The home visit (入户勘查) that starts a project."""

    title = StringField(_l("Public title"), validators=[DataRequired(), Length(max=100)])
    story = TextAreaField(_l("Public story (pseudonymous: no name, phone, address or ID number)"),
                          validators=[DataRequired(), Length(max=2000)])
    surveyed_on = DateField(_l("Surveyed on"), validators=[InputRequired()])
    survey_notes = TextAreaField(_l("What the survey found"), validators=[DataRequired(), Length(max=5000)])
    photos = MultipleFileField(_l("Photos (JPEG, PNG or WebP, up to 8 MB each)"), validators=[IMAGES])


class TextForm(FlaskForm):
    """The project's public title and story, as staff rewrite them."""

    title = StringField(_l("Public title"), validators=[DataRequired(), Length(max=100)])
    story = TextAreaField(_l("Public story (pseudonymous: no name, phone, address or ID number)"),
                          validators=[DataRequired(), Length(max=2000)])


class LineForm(FlaskForm):
    """One line of the itemised plan."""

    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in LINE_KINDS.items()])
    description = StringField(_l("What"), validators=[DataRequired(), Length(max=200)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=40)])
    amount = yuan_field(_l("Amount (¥)"))


class ReasonForm(FlaskForm):
    """A written reason (一事一议) or description."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class InspectionForm(FlaskForm):
    """The result of a visit, with photos."""

    passed = BooleanField(_l("Passed"))
    notes = TextAreaField(_l("What the visit found"), validators=[DataRequired(), Length(max=5000)])
    photos = MultipleFileField(_l("Photos"), validators=[IMAGES])


class CaptionForm(FlaskForm):
    """The caption a photo carries on the project's public page."""

    caption = StringField(_l("Caption for the public page (pseudonymous)"),
                          validators=[DataRequired(), Length(max=200)])


class DueForm(FlaskForm):
    """A milestone's due date."""

    milestone = StringField(validators=[DataRequired(), Length(max=14)])
    due_on = DateField(_l("Due on"), validators=[InputRequired()])


class PledgeForm(FlaskForm):
    """An organisation's pledge against a plan line."""

    line_id = SelectField(_l("Plan line"), coerce=int, validate_choice=False)
    kind = SelectField(_l("What we give"), choices=[SelectChoice(k, v) for k, v in PLEDGE_KINDS.items()])
    value = yuan_field(_l("Value (¥)"))
    items = StringField(_l("Materials (items)"), validators=[Optional(), Length(max=200)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=40)])
    labour_days = IntegerField(_l("Days of labour"), validators=[Optional(), NumberRange(min=1, max=1000)])


class ActionForm(FlaskForm):
    """A button with only the CSRF token."""
