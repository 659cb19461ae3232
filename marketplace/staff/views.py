"""The staff work queue: what waits on staff in their region, oldest first, with links."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.staff.queue import work_queue

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@roles_required(Role.STAFF, Role.ADMIN)
def index() -> str:
    """Referrals to triage, drafts, deliveries, red lights, expired needs, pledges, organisations."""
    return render_template("staff/index.html", sections=work_queue(current_user))
