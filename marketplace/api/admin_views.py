"""Admin pages of the API: sources, their keys (prefix only), use and rate limit; creating a key
(shown once, on the answer to the form) and revoking keys (after a confirmation page)."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.api import keys
from marketplace.api.models import MIN_RATE_LIMIT, ApiKey, ApiSource
from marketplace.extensions import db
from marketplace.unit_of_work import refusal

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-sources")
TEXT = {"filters": [lambda value: value.strip() if isinstance(value, str) else value]}


class RateLimitForm(FlaskForm):
    """A source's per-key request allowance."""

    rate_limit = IntegerField(
        _l("Requests per 10 seconds, per key"),
        validators=[InputRequired(), NumberRange(min=MIN_RATE_LIMIT, max=keys.MAX_RATE_LIMIT)],
    )


class NewKeyForm(FlaskForm):
    """A key for a source, new or existing; the name's rule is the domain's (keys.SOURCE_NAME)."""

    source = StringField(
        _l("Source name"), **TEXT,
        description=_l("2 to 60 characters of a-z, 0-9, _ . - such as gz-assistance. Staff see it next to each "
                       "referral. A new name creates the source; an existing one gets another key."),
        # Phones would capitalise the first letter, which a source name may not have.
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class RevokeForm(FlaskForm):
    """Revoking one key of a source (by its prefix) or, without a prefix, all its active keys."""

    prefix = HiddenField()


@bp.route("/")
@roles_required(Role.ADMIN)
def sources() -> str:
    """Every source with its keys and use."""
    rows = list(db.session.scalars(keys.sources_query()))
    forms = {s.id: RateLimitForm(prefix=f"s{s.id}", data={"rate_limit": s.rate_limit}) for s in rows}
    return render_template("api/sources.html", sources=rows, forms=forms, new_key=NewKeyForm(formdata=None))


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


@bp.route("/keys/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def key_new() -> str | Response:
    """Create a key for a new or existing source; the key is on this answer only, never stored readable."""
    form = NewKeyForm(data={"source": request.args.get("source", "")[:60]} if request.method == "GET" else None)
    if form.validate_on_submit():
        with refusal(form.source) as refused:
            row, key = keys.create(form.source.data or "", actor=current_user)
        if not refused:
            return _shown_once(row, key)
    return render_template("api/key_new.html", form=form)


def _shown_once(row: ApiKey, key: str) -> Response:
    """The page that shows a new key: rendered as the answer to the post (no redirect, no flash, so the
    key is in no URL and no cookie) and kept by no cache."""
    response = make_response(render_template("api/key_created.html", row=row, key=key,
                                             feed_url=url_for("api.referral_feed", _external=True)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:source_id>/revoke", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def revoke(source_id: int) -> str | Response:
    """Ask first (GET: which keys, their last use), then revoke one key by prefix or all the source's keys."""
    source = db.get_or_404(ApiSource, source_id)
    form = RevokeForm(data={"prefix": request.args.get("prefix", "")[:16]} if request.method == "GET" else None)
    prefix = form.prefix.data or None
    if form.validate_on_submit():
        with refusal() as refused:
            revoked = keys.revoke(source.name, prefix=prefix, actor=current_user)
        if not refused:
            flash(_("Revoked for %(name)s: %(prefixes)s. Requests with these keys now answer 401.",
                    name=source.name, prefixes=", ".join(f"{k.prefix}…" for k in revoked)), "success")
        return redirect(url_for("api_admin.sources"))
    with refusal() as refused:
        found = keys.revocable(source, prefix)
    if refused:
        return redirect(url_for("api_admin.sources"))
    return render_template("api/revoke.html", source=source, keys=found, form=form, prefix=prefix)
