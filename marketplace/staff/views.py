"""The staff work queue: what waits on staff in their region."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.accounts.scope import region_filter
from marketplace.extensions import db
from marketplace.households.models import Household, Referral, ReferralStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.organisations import service as organisations
from marketplace.organisations.models import OrgStatus

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


@bp.route("/")
@roles_required(Role.STAFF, Role.ADMIN)
def index() -> str:
    """Referrals to triage, deliveries to confirm, drafts to publish, organisations to approve."""
    needs_here = sa.select(Need.id).where(region_filter(current_user, Need.district_code, Need.street_code))
    to_triage = (
        sa.select(Referral.id).join(Referral.household)
        .where(Referral.status == ReferralStatus.RECEIVED,
               region_filter(current_user, Referral.district_code, Household.street_code))
    )
    queue = {
        "referrals": _count(to_triage),
        "deliveries": _count(needs_here.where(Need.status == NeedStatus.DELIVERED)),
        "drafts": _count(needs_here.where(Need.status == NeedStatus.DRAFT)),
        "expired": _count(needs_here.where(Need.status == NeedStatus.EXPIRED)),
        "organisations": _count(organisations.reviewable_query(current_user, status=OrgStatus.PENDING)),
    }
    return render_template("staff/index.html", queue=queue)
