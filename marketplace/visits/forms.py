"""The visit record (phone first), the assignment, and the follow-up."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from marketplace import taxonomy
from marketplace.households.forms import KIND_CHOICES, ReferralForm

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


class VisitForm(FlaskForm):
    """A visit as the caseworker types it on the doorstep: when, who, met or not, what was seen, a need."""

    visited_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    visitors = StringField(_l("Who visited"), validators=[DataRequired(), Length(max=200)],
                           description=_l("You and anyone who came with you."))
    met = RadioField(_l("Met the household?"), choices=YES_NO, default="yes",
                     validators=[InputRequired(message=_l("Say whether you met the household."))])
    seen = TextAreaField(_l("What you saw"), validators=[Length(max=4000)],
                         description=_l("Internal: only staff of the region read this."))
    found_need = BooleanField(_l("The visit found a need: make it a draft need now"))
    kind = SelectField(_l("Kind"), choices=taxonomy.choices(KIND_CHOICES), default="wish")
    category = SelectField(_l("Category"), choices=taxonomy.choices(taxonomy.NEED_CATEGORIES), default="daily_living")
    title = StringField(_l("Public title"), validators=[Optional(), Length(max=100)])
    story = TextAreaField(
        _l("Public story"), validators=[Optional(), Length(min=10, max=2000)],
        description=_l("Organisations read this. Never write a name, phone, address or ID number: "
                       "e.g. \"Ms L, 72, lives alone in Beijing Street\"."),
    )
    value_yuan = StringField(_l("Value (yuan)"), validators=[Optional()])
    urgent = BooleanField(_l("Urgent"))

    def validate_value_yuan(self, field: StringField) -> None:
        """An amount in yuan, when a need is recorded."""
        if self.found_need.data:
            if not field.data:
                raise ValidationError(_l("Enter the value of the need."))
            ReferralForm.validate_value_yuan(self, field)  # type: ignore[arg-type]

    def validate_title(self, field: StringField) -> None:
        """Needed when a need is recorded."""
        if self.found_need.data and not (field.data or "").strip():
            raise ValidationError(_l("Give the need a public title."))

    def validate_story(self, field: TextAreaField) -> None:
        """Needed when a need is recorded."""
        if self.found_need.data and not (field.data or "").strip():
            raise ValidationError(_l("Write the need's public story."))


class AssignForm(FlaskForm):
    """Who visits the household: a caseworker of its region, a social-work project, or nobody yet."""

    assignee = SelectField(_l("Visits are assigned to"), validators=[Optional()])

    def __init__(self, *args: Any, caseworkers: list[Any], projects: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assignee.choices = [SelectChoice("", _l("Nobody yet"))] + [
            SelectChoice(f"u{u.id}", _("Caseworker: %(name)s", name=u.display_name or u.email)) for u in caseworkers
        ] + [SelectChoice(f"o{o.id}", _("Social-work project: %(name)s", name=o.name)) for o in projects]

    def chosen(self) -> tuple[int | None, int | None]:
        """(caseworker id, organisation id) from the choice."""
        value = self.assignee.data or ""
        if value[:1] == "u" and value[1:].isdigit():
            return int(value[1:]), None
        if value[:1] == "o" and value[1:].isdigit():
            return None, int(value[1:])
        return None, None


class FollowUpForm(FlaskForm):
    """The follow-up after a need closed: reached, solved, satisfaction 1–5, comments."""

    reached = RadioField(_l("Reached the household?"), choices=YES_NO, default="yes",
                         validators=[InputRequired(message=_l("Say whether you reached the household."))])
    solved = RadioField(_l("Was the need solved?"), choices=YES_NO, validators=[Optional()])
    satisfaction = RadioField(_l("Satisfaction"), choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
                              validators=[Optional()], description=_l("1 very unsatisfied … 5 very satisfied"))
    comments = TextAreaField(_l("Comments"), validators=[Length(max=2000)])
