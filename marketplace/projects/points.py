"""Leaderboard points of renovation pledges: 1 per full ¥100 of a pledge staff confirmed delivered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.leaderboards.points import YUAN_PER_POINT_FEN, Row, register_source
from marketplace.organisations.models import Organisation
from marketplace.projects.models import Pledge, PledgeStatus


def confirmed_pledges(board: str, start: datetime, end: datetime) -> list[Row]:
    """Organisations (of the board's kind) whose pledges were confirmed in the period."""
    points = sa.func.sum(Pledge.value_fen // YUAN_PER_POINT_FEN)
    query = (
        sa.select(Pledge.organisation_id, sa.cast(points, sa.BigInteger), sa.func.count(),
                  sa.func.max(Pledge.confirmed_at))
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .where(Pledge.status == PledgeStatus.CONFIRMED, Pledge.confirmed_at >= start, Pledge.confirmed_at < end,
               Organisation.kind == board)
        .group_by(Pledge.organisation_id)
    )
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


register_source("pledges", confirmed_pledges)
