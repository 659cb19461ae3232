"""The staff work queue."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.organisations import service as organisations
from marketplace.organisations.models import OrgStatus

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@roles_required(Role.STAFF, Role.ADMIN)
def index() -> str:
    """What waits on this staff member, in their region."""
    pending = organisations.reviewable_query(current_user, status=OrgStatus.PENDING)
    queue = {
        "organisations": db.session.scalar(sa.select(sa.func.count()).select_from(pending.subquery())),
    }
    return render_template("staff/index.html", queue=queue)
