"""Company pages: outlets, their staff sign-ins, meal pledges, and counts per outlet and day (counts only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from marketplace import spreadsheets, storage
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.forms import region_choices
from marketplace.meals import company_report, outlets, pledges, reports, timing
from marketplace.meals.errors import MealError
from marketplace.meals.forms import ActionForm, OutletForm, OutletStaffForm, PledgeForm
from marketplace.meals.models import MealPledge, Outlet
from marketplace.unit_of_work import refusal

bp = Blueprint("company_meals", __name__, url_prefix="/org/meals")
bp.app_context_processor(lambda: {"is_company_member": outlets.is_company_member})  # the menu asks
PAST_DAYS, FUTURE_DAYS = 14, 7


def _company() -> Any:
    try:
        return outlets.company_of(current_user)
    except PermissionError:
        abort(403)
    except MealError as exc:  # not approved (yet)
        flash(str(exc), "error")
        abort(403)


def _own_outlet(outlet_id: int) -> Outlet:
    outlet = db.get_or_404(Outlet, outlet_id)
    if outlet.organisation_id != _company().id:
        abort(404)
    return outlet


def _window() -> tuple[date, date, date]:
    """Today and the days the page counts: the last two weeks and the coming week (Guangzhou dates)."""
    today = timing.local_date(timing.now())
    return today, today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)


@bp.route("/")
@roles_required(Role.ORG_MEMBER)
def overview() -> str:
    """Our outlets, pledges and the meals pledged, booked, redeemed and expired per outlet and day."""
    org = _company()
    today, start, end = _window()
    days = reports.company_days(org.id, start, end, timing.now())
    mine = outlets.company_outlets(org.id)
    return render_template("meals/company.html", org=org, outlets=mine, names={o.id: o.name for o in mine},
                           pledges=pledges.company_pledges(org.id), days=days, totals=reports.totals(days),
                           today=today, form=ActionForm(), chart=company_report.chart(days, start, end))


@bp.route("/export.<fmt>")
@roles_required(Role.ORG_MEMBER)
def export(fmt: str) -> Response:
    """The page's meals per outlet and day, with the totals, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    org = _company()
    _today, start, end = _window()
    days = reports.company_days(org.id, start, end, timing.now())
    names = {o.id: o.name for o in outlets.company_outlets(org.id)}
    rows = company_report.export_rows(days, reports.totals(days), names)
    body = spreadsheets.to_csv(rows) if fmt == "csv" else spreadsheets.to_xlsx(rows, _("Meals"))
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    # Through werkzeug's header encoding (RFC 6266 / 5987), never pasted in by hand.
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"shanlian-meals-{start.isoformat()}-{end.isoformat()}.{fmt}")
    response.headers["Cache-Control"] = "private, no-store"  # as every export: not left in shared caches
    return response


def _street_choices(form: OutletForm) -> None:
    form.street.choices = [c for c in region_choices(blank=_("Choose a street")) if len(c.value) != 6]


def _details(form: OutletForm) -> outlets.OutletDetails:
    return outlets.OutletDetails(name=form.name.data, address=form.address.data, street_code=form.street.data,
                                 serves_from=form.serves_from.data, serves_until=form.serves_until.data,
                                 is_active=form.is_active.data)


def _save_outlet(form: OutletForm, save: Any) -> Response | None:
    """Validate, store the photo, run the operation; None when the form must be shown again."""
    if not form.validate_on_submit():
        return None
    with refusal() as refused:  # a MealError or a PhotoError
        photo = storage.store_photo(form.photo.data.read()) if form.photo.data else None
        outlet = save(_details(form), photo)
    if refused:
        return None
    flash(_("Outlet saved."), "success")
    return redirect(url_for("company_meals.outlet_edit", outlet_id=outlet.id))


@bp.route("/outlets/new", methods=["GET", "POST"])
@roles_required(Role.ORG_MEMBER)
def outlet_new() -> str | Response:
    """Register an outlet: where it is and when it serves."""
    _company()
    form = OutletForm()
    _street_choices(form)
    done = _save_outlet(form, lambda details, photo: outlets.create_outlet(actor=current_user, details=details,
                                                                             photo=photo))
    return done or render_template("meals/outlet_form.html", form=form, outlet=None)


@bp.route("/outlets/<int:outlet_id>", methods=["GET", "POST"])
@roles_required(Role.ORG_MEMBER)
def outlet_edit(outlet_id: int) -> str | Response:
    """Change an outlet; see and add the sign-ins of its staff."""
    outlet = _own_outlet(outlet_id)
    form = OutletForm(obj=outlet, street=outlet.street_code)
    _street_choices(form)

    def save(details: outlets.OutletDetails, photo: Any) -> Outlet:
        outlets.update_outlet(outlet, actor=current_user, details=details, photo=photo)
        return outlet

    done = _save_outlet(form, save)
    return done or render_template("meals/outlet_form.html", form=form, outlet=outlet,
                                   staff=outlets.outlet_staff(outlet.id), staff_form=OutletStaffForm(formdata=None))


@bp.route("/outlets/<int:outlet_id>/staff", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def outlet_staff_add(outlet_id: int) -> Response:
    """Create a sign-in for someone who redeems vouchers at this outlet."""
    outlet = _own_outlet(outlet_id)
    form = OutletStaffForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("company_meals.outlet_edit", outlet_id=outlet.id))
    with refusal() as refused:
        outlets.add_outlet_staff(outlet, actor=current_user, email=form.email.data, password=form.password.data,
                                 display_name=form.display_name.data or "")
    if not refused:
        flash(_("Sign-in created. Give the email and password to the outlet in person."), "success")
    return redirect(url_for("company_meals.outlet_edit", outlet_id=outlet.id))


@bp.route("/pledges/new", methods=["GET", "POST"])
@roles_required(Role.ORG_MEMBER)
def pledge_new() -> str | Response:
    """Pledge meals a day at an outlet over a date range; staff approve it."""
    org = _company()
    form = PledgeForm()
    form.outlet.choices = [SelectChoice(str(o.id), o.name) for o in outlets.company_outlets(org.id)]
    if not form.outlet.choices:
        flash(_("Register an outlet first."), "error")
        return redirect(url_for("company_meals.outlet_new"))
    if request.method == "GET":
        form.weekdays.data = [str(d) for d in range(7)]
    if form.validate_on_submit():
        with refusal() as refused:
            pledges.create_pledge(db.get_or_404(Outlet, form.outlet.data), actor=current_user,
                                  meals_per_day=form.meals_per_day.data, starts_on=form.starts_on.data,
                                  ends_on=form.ends_on.data, weekdays=form.weekday_mask,
                                  today=timing.local_date(timing.now()))
        if not refused:
            flash(_("Thank you! Your pledge is with the civil-affairs staff for approval."), "success")
            return redirect(url_for("company_meals.overview"))
    return render_template("meals/pledge_form.html", form=form)


@bp.route("/pledges/<int:pledge_id>/withdraw", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def pledge_withdraw(pledge_id: int) -> Response:
    """Take back a pledge that is still waiting for approval."""
    pledge = db.get_or_404(MealPledge, pledge_id)
    if pledge.organisation_id != _company().id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusal() as refused:
        pledges.withdraw_pledge(pledge, actor=current_user)
    if not refused:
        flash(_("Pledge withdrawn."), "success")
    return redirect(url_for("company_meals.overview"))
