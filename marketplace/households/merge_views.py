"""Staff pages for one file per household: likely duplicates of the region, and merging a pair."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households import merge
from marketplace.households.forms import MergeForm
from marketplace.households.models import Household
from marketplace.unit_of_work import refusal

bp = Blueprint("households", __name__, url_prefix="/staff/households")
STAFF = (Role.STAFF, Role.ADMIN)


@bp.route("/duplicates")
@roles_required(*STAFF)
def duplicates() -> str:
    """Pairs of the region's households that are probably one (same ID number; same name and phone)."""
    return render_template("households/duplicates.html", pairs=merge.duplicate_pairs(current_user),
                           form=MergeForm())


@bp.route("/merge", methods=["POST"])
@roles_required(*STAFF)
def merge_pair() -> Response:
    """Merge one household into another; the kept one's page follows."""
    form = MergeForm()
    if not form.validate_on_submit() or form.merged is None:
        flash(_("Choose the household to keep."), "error")
        return redirect(url_for("households.duplicates"))
    kept, merged = db.session.get(Household, form.kept.data), db.session.get(Household, form.merged)
    if kept is None or merged is None:
        abort(404)
    with refusal() as refused:
        merge.merge(kept, merged, actor=current_user, reason=form.reason.data or "")
    if refused:
        return redirect(url_for("households.duplicates"))
    flash(_("Household #%(merged)s was merged into household #%(kept)s.", merged=form.merged,
            kept=form.kept.data), "success")
    return redirect(url_for("referrals.household_detail", household_id=form.kept.data))
