"""The public home page and the language switcher."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from marketplace.accounts.access import is_safe_next, public
from marketplace.extensions import db
from marketplace.meals import reports as meal_reports
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.regions import offices
from marketplace.regions.models import DISTRICT, Region

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index() -> str:
    """What the platform is, live figures, and the doors in."""
    figures = {
        "organisations": db.session.scalar(
            sa.select(sa.func.count()).where(Organisation.status == OrgStatus.APPROVED)
        ),
        "districts": db.session.scalar(sa.select(sa.func.count()).where(Region.level == DISTRICT)),
        "meals": meal_reports.meals_served(),
    }
    return render_template("main/index.html", figures=figures)


@bp.app_context_processor
def _footer() -> dict[str, object]:
    """The operator's office and filing number, on every page."""
    return {"site_office": offices.site_office, "office_of": offices.office_of,
            "icp_number": lambda: current_app.config.get("ICP_NUMBER", "")}


@bp.route("/privacy")
@public
def privacy() -> str:
    """What is collected from residents and why, for how long, and who sees it."""
    return render_template("main/privacy.html", office=offices.site_office())


@bp.route("/lang/<code>")
@public
def set_language(code: str) -> Response:
    """Remember the chosen language and go back to the page the reader was on."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.route("/healthz")
@public
def health() -> dict[str, str]:
    """Liveness for load balancers: answers when the database does."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
