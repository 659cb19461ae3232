"""Staff pages of follow-ups (回访): the follow-ups due and done, and recording one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from marketplace import clock, listing, taxonomy
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import guard, region_filter
from marketplace.extensions import db
from marketplace.listing import Column, sorted_by
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation
from marketplace.paging import cursor_arg, paginate
from marketplace.unit_of_work import refusal
from marketplace.visits import followups
from marketplace.visits.forms import FollowUpForm
from marketplace.visits.models import FollowUp, VisitPlan

bp = Blueprint("followups", __name__, url_prefix="/staff/follow-ups")
STAFF = (Role.STAFF, Role.ADMIN)
STATUSES = {"due": _l("due"), "done": _l("done")}


def _done_words(need: Need) -> str:
    row = followups.of_need(need)
    if row is None:
        return ""
    if not row.reached:
        return _("not reached")
    return _("satisfaction %(n)s/5", n=row.satisfaction)


COLUMNS = (
    Column("closed", _l("Closed"), Need.closed_at, lambda n: n.closed_at),
    Column("due", _l("Follow-up due"), None, followups.due_on),
    Column("title", _l("Need"), Need.title, lambda n: n.title),
    Column("category", _l("Need category"), Need.category,
           lambda n: taxonomy.NEED_CATEGORIES.get(n.category, n.category)),
    Column("street", _l("Street"), Need.street_code, lambda n: n.place),
    Column("organisation", _l("Organisation"), Organisation.name, lambda n: n.claimed_by.name if n.claimed_by else ""),
    Column("household", _l("Household"), Need.household_id, lambda n: f"#{n.household_id}"),
    Column("outcome", _l("Follow-up"), FollowUp.satisfaction, _done_words),
)


def _followups() -> tuple[sa.Select, dict[str, Any]]:
    status = request.args.get("status", "due")
    status = status if status in STATUSES else "due"
    who, street = request.args.get("who", ""), request.args.get("street", "")
    now = clock.now()
    if status == "due":
        query = followups.due_query(now).outerjoin(FollowUp, FollowUp.need_id == Need.id)
    else:
        query = sa.select(Need).join(FollowUp, FollowUp.need_id == Need.id)
    query = (query.outerjoin(Organisation, Organisation.id == Need.claimed_by_id)
             .where(region_filter(current_user, Need.district_code, Need.street_code))
             .options(joinedload(Need.claimed_by), joinedload(Need.street), joinedload(Need.district)))
    if who == "mine":
        query = query.where(sa.exists().where(VisitPlan.household_id == Need.household_id,
                                              VisitPlan.caseworker_id == current_user.id))
    if street:
        query = query.where(Need.street_code == street)
    query, sorting = sorted_by(query, COLUMNS, "closed" if status == "due" else "-closed", Need.id)
    return query, {"status": status, "who": who, "street": street, "sorting": sorting}


@bp.route("/")
@roles_required(*STAFF)
def followup_list() -> str:
    """Closed needs whose follow-up is due (longest waiting first), or done."""
    from marketplace.visits.views import _streets

    query, filters = _followups()
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("visits/followups.html", page=page, columns=COLUMNS, statuses=STATUSES,
                           streets=_streets(), due_on=followups.due_on, done_words=_done_words, **filters)


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def followup_export(fmt: str) -> Response:
    """The filtered follow-ups as CSV or XLSX (no personal data)."""
    query, _filters = _followups()
    return listing.export(query, COLUMNS, fmt, "follow-ups", back=url_for("followups.followup_list", **request.args))


@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def followup_record(need_id: int) -> str | Response:
    """A closed need's follow-up: the form while it is due, the answer once recorded."""
    need = guard(db.get_or_404(Need, need_id))
    form = FollowUpForm()
    done = followups.of_need(need)
    if done is None and form.validate_on_submit():
        reached = form.reached.data == "yes"
        answer = followups.Answer(
            reached=reached, solved=(form.solved.data == "yes") if form.solved.data else None,
            satisfaction=int(form.satisfaction.data) if (form.satisfaction.data or "").isdigit() else None,
            comments=form.comments.data or "")
        with refusal() as refused:
            followups.record_followup(need, answer, actor=current_user)
        if not refused:
            flash(_("Follow-up recorded."), "success")
            return redirect(url_for("followups.followup_record", need_id=need.id))
    status = 400 if form.is_submitted() else 200
    return render_template("visits/followup.html", need=need, form=form, done=done,
                           followable=followups.followable(need), due_on=followups.due_on(need),
                           due=done is None and followups.is_due(need, clock.now())), status
