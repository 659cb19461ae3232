"""Admin pages for the offices people reach in each district and street."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.regions import offices
from marketplace.regions.models import DISTRICT, Region
from marketplace.regions.service import districts
from marketplace.unit_of_work import refusal

bp = Blueprint("region_admin", __name__, url_prefix="/admin/regions")
TEXT = {"filters": [lambda value: value.strip() if isinstance(value, str) else value]}


class OfficeForm(FlaskForm):
    """A region's office: what residents, donors and organisations are told to contact."""

    office_name = StringField(_l("Office"), **TEXT, validators=[Length(max=100)],
                              description=_l("e.g. 越秀区民政局 or 北京街道社会事务办公室"))
    office_phone = StringField(_l("Phone"), **TEXT, validators=[Length(max=40)])
    office_address = StringField(_l("Address"), **TEXT, validators=[Length(max=200)])


@bp.route("/")
@roles_required(Role.ADMIN)
def region_list() -> str:
    """The districts with their offices; each opens its streets."""
    return render_template("admin/regions.html", regions=districts(), district=None)


@bp.route("/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def region_edit(code: str) -> str | Response:
    """One region's office contact; a district also lists its streets'."""
    region = db.session.get(Region, code[:12])
    if region is None:
        abort(404)
    form = OfficeForm(obj=region)
    if form.validate_on_submit():
        with refusal(form.office_phone) as refused:
            offices.set_office(region, name=form.office_name.data, phone=form.office_phone.data,
                               address=form.office_address.data, actor=current_user)
        if not refused:
            flash(_("The office of %(region)s is saved.", region=region.full_name), "success")
            return redirect(url_for("region_admin.region_edit", code=region.code))
    streets = region.children if region.level == DISTRICT else []
    return render_template("admin/region_form.html", region=region, form=form, streets=streets)
