"""The admin settings page: caps and limits, each change audited."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.settings import service

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _shown(key: str, value: int) -> int:
    """Money is edited in yuan, stored in fen."""
    return value // 100 if service.DEFINITIONS[key].unit == "fen" else value


def settings_form() -> FlaskForm:
    """A form with one field per setting, bounded as its definition says."""

    class SettingsForm(FlaskForm):
        pass

    for key, d in service.DEFINITIONS.items():
        units = {"fen": _("yuan"), "meals": _("meals"), "years": _("years"), "hours": _("hours"),
                 "switch": _("0 or 1")}
        unit = units.get(d.unit, _("days"))
        low, high = _shown(key, d.minimum), _shown(key, d.maximum)
        field = IntegerField(f"{d.label} ({unit})", validators=[InputRequired(), NumberRange(low, high)],
                             description=_("Default: %(value)s", value=_shown(key, d.default)))
        setattr(SettingsForm, key, field)
    return SettingsForm(data={key: _shown(key, service.get(key)) for key in service.DEFINITIONS})


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit() -> str | Response:
    """Show and change the settings."""
    form = settings_form()
    if form.validate_on_submit():
        for key, d in service.DEFINITIONS.items():
            value = getattr(form, key).data
            service.set_value(key, value * 100 if d.unit == "fen" else value, actor=current_user)
        flash(_("Settings saved."), "success")
        return redirect(url_for("settings.edit"))
    return render_template("settings/edit.html", form=form, keys=list(service.DEFINITIONS))
