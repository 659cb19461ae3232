"""Admin page of the API: sources, their keys (prefix only), last use, request and error counts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.api import keys
from marketplace.api.models import MIN_RATE_LIMIT, ApiSource
from marketplace.extensions import db

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-sources")


class RateLimitForm(FlaskForm):
    """A source's per-key request allowance."""

    rate_limit = IntegerField(
        _l("Requests per 10 seconds, per key"),
        validators=[InputRequired(), NumberRange(min=MIN_RATE_LIMIT, max=keys.MAX_RATE_LIMIT)],
    )


@bp.route("/")
@roles_required(Role.ADMIN)
def sources() -> str:
    """Every source with its keys and use."""
    rows = list(db.session.scalars(keys.sources_query()))
    forms = {s.id: RateLimitForm(prefix=f"s{s.id}", data={"rate_limit": s.rate_limit}) for s in rows}
    return render_template("api/sources.html", sources=rows, forms=forms)


@bp.route("/<int:source_id>/rate-limit", methods=["POST"])
@roles_required(Role.ADMIN)
def set_rate_limit(source_id: int) -> Response:
    """Raise (or lower, down to the contract's floor) a source's rate limit."""
    source = db.get_or_404(ApiSource, source_id)
    form = RateLimitForm(prefix=f"s{source.id}")
    if form.validate_on_submit():
        keys.set_rate_limit(source, form.rate_limit.data, actor=current_user)
        flash(_("Rate limit of %(name)s saved.", name=source.name), "success")
    else:
        flash(_("A rate limit is %(min)s to %(max)s requests per 10 seconds.", min=MIN_RATE_LIMIT,
                max=keys.MAX_RATE_LIMIT), "error")
    return redirect(url_for("api_admin.sources"))
