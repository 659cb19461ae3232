"""The public leaderboard (爱心榜), staff's provisional ranking, and organisations' public profiles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from marketplace import clock
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.leaderboards import publish
from marketplace.leaderboards.models import BOARDS, PERIODS, LeaderboardSnapshot
from marketplace.needs.models import Claim, ClaimStatus
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.paging import int_arg

bp = Blueprint("leaderboards", __name__)


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    return value if value in allowed else default


@bp.route("/leaderboards")
@public
def board() -> str:
    """The latest published snapshot of a board and period, and the list of past ones."""
    board_name, period = _choice("board", BOARDS, "company"), _choice("period", PERIODS, "month")
    snapshot_id = int_arg("snapshot")
    query = sa.select(LeaderboardSnapshot).where(LeaderboardSnapshot.board == board_name,
                                                 LeaderboardSnapshot.period == period)
    past = db.session.scalars(query.order_by(LeaderboardSnapshot.period_start.desc()).limit(24)).all()
    snapshot = next((s for s in past if s.id == snapshot_id), past[0] if past else None)
    return render_template("leaderboards/board.html", snapshot=snapshot, past=past, board=board_name,
                           period=period, boards=BOARDS, periods=PERIODS)


@bp.route("/staff/leaderboards")
@roles_required(Role.STAFF, Role.ADMIN)
def provisional() -> str:
    """The open period's ranking so far (not published, may still change)."""
    board_name, period = _choice("board", BOARDS, "company"), _choice("period", PERIODS, "month")
    ranking = publish.provisional(board_name, period, clock.now())
    return render_template("leaderboards/provisional.html", ranking=ranking, board=board_name, period=period,
                           boards=BOARDS, periods=PERIODS)


@bp.route("/organisations/<int:org_id>")
@public
def profile(org_id: int) -> str:
    """An approved organisation's public page: what it has delivered, and its badge."""
    org = db.get_or_404(Organisation, org_id)
    if org.status != OrgStatus.APPROVED:
        abort(404)
    delivered = db.session.scalar(
        sa.select(sa.func.count()).where(Claim.organisation_id == org.id, Claim.status == ClaimStatus.COMPLETED)
    )
    return render_template("leaderboards/profile.html", org=org, delivered=delivered,
                           has_badge=org.id in publish.badge_holders())
