"""The closure dashboard pages and exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import clock, spreadsheets
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.dashboard import charts, exports, queries
from marketplace.dashboard.compute import ALL
from marketplace.extensions import db
from marketplace.regions.models import Region
from marketplace.visits import report as visit_report

bp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")
bp.context_processor(lambda: {"may_view_region": lambda code: queries.may_view(current_user, code)})
STAFF = (Role.STAFF, Role.ADMIN)


def _region() -> str:
    code = request.args.get("region") or queries.home_region(current_user)
    if not queries.may_view(current_user, code):
        abort(403)
    return code


def _name(code: str) -> str:
    region = db.session.get(Region, code)
    return region.full_name if region else _("Whole city")


@bp.route("/")
@roles_required(*STAFF)
def show() -> str:
    """Figures of the region, its sub-regions to drill into, and its overdue needs."""
    code = _region()
    data, subregions = queries.figures(code), queries.children(code)
    child_data = queries.child_figures(subregions)
    return render_template(
        "dashboard/show.html", code=code, name=_name(code), data=data, subregions=subregions,
        child_data=child_data, overdue=queries.overdue(code), ALL=ALL,
        parent=db.session.get(Region, code).parent_code if code != ALL else None,
        trend=charts.trend(data), by_category=charts.categories(data), by_light=charts.lights(subregions, child_data),
        visits=visit_report.for_region(code, clock.now()),
    )


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def export(fmt: str) -> Response:
    """The figures or the overdue list of the region as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    code = _region()
    what = request.args.get("what", "figures")
    if what not in exports.WHAT:
        abort(404)
    if what == "overdue":
        rows = exports.overdue_rows(queries.overdue(code, limit=10_000))
    else:
        rows = exports.figure_rows(_name(code), queries.figures(code))
    body = spreadsheets.to_csv(rows) if fmt == "csv" else spreadsheets.to_xlsx(rows, what)
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    # Through werkzeug's header encoding (RFC 6266 / 5987), never pasted in by hand.
    response.headers.set("Content-Disposition", "attachment", filename=f"shanlian-{what}-{code}.{fmt}")
    return response
