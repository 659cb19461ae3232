"""Forms of the need loop: claim, evidence, confirm, reject and the staff actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace import clock

RATINGS = [SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)]


class ClaimForm(FlaskForm):
    """Claim with the date the organisation promises to deliver by."""

    promised_by = DateField(_l("We will deliver by"), validators=[InputRequired()])
    # Only on a need of quantity > 1: how many the organisation takes (empty: all that is left).
    quantity = IntegerField(_l("How many we take"), validators=[Optional(), NumberRange(min=1, max=1000)])

    def validate_promised_by(self, field: DateField) -> None:
        """Not in the past (the upper bound, the need's fulfil-by date, is checked by the domain)."""
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Choose today or a later date."))


class EvidenceForm(FlaskForm):
    """A photo or receipt (image) with an optional note, or a note alone."""

    kind = SelectField(_l("Kind"), choices=[SelectChoice("photo", _l("Photo")), SelectChoice("receipt", _l("Receipt")),
                                          SelectChoice("note", _l("Note"))])
    file = FileField(_l("Image (JPEG, PNG or WebP, up to 8 MB)"),
                     validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("JPEG, PNG or WebP only."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def validate_file(self, field: FileField) -> None:
        """Photos and receipts need an image."""
        if self.kind.data in ("photo", "receipt") and not field.data:
            raise ValidationError(_l("Choose an image file."))


class ConfirmForm(FlaskForm):
    """The caseworker's confirmation after a visit."""

    rating = SelectField(_l("Rating"), choices=RATINGS)
    feedback = TextAreaField(_l("Feedback from the visit"), validators=[Optional(), Length(max=2000)])


class RecipientConfirmForm(ConfirmForm):
    """The recipient's confirmation with the code printed for them."""

    code = StringField(_l("Code on your slip"), validators=[DataRequired(), Length(max=20)])
    feedback = TextAreaField(_l("Anything you want to tell us (optional)"), validators=[Optional(), Length(max=2000)])


class TextForm(FlaskForm):
    """The public title and story, as staff rewrite them (the story guard checks them again)."""

    title = StringField(_l("Public title"), validators=[DataRequired(), Length(max=100)])
    story = TextAreaField(
        _l("Public story"), validators=[DataRequired(), Length(min=10, max=2000)],
        description=_l("Organisations read this. Never write a name, phone, address or ID number: "
                       "e.g. \"Ms L, 72, lives alone in Beijing Street\"."),
    )


class ReasonForm(FlaskForm):
    """A reason (reject, cancel, release)."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class OptionalReasonForm(FlaskForm):
    """A reason that may be left empty."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])


class ReassignForm(FlaskForm):
    """Staff move a claim to another organisation."""

    organisation_id = SelectField(_l("New organisation"), coerce=int, validate_choice=True)
    promised_by = DateField(_l("Promised by"), validators=[InputRequired()])


class ReplanForm(FlaskForm):
    """New dates for an expired need."""

    claim_deadline = DateField(_l("Claim by"), validators=[InputRequired()])
    fulfil_by = DateField(_l("Fulfil by"), validators=[InputRequired()])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""
