"""Leaderboard points of donations: 1 per full ¥100 of a gift that succeeded (refunded ones drop out).

Only donors who chose to show their name are ranked. Without accounts, a donor is their email
address when they left one (several gifts add up), else the single gift; the participant id is
the donor's first donation id.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from marketplace.donations.models import Donation, DonationStatus
from marketplace.extensions import db
from marketplace.leaderboards.points import YUAN_PER_POINT_FEN, Row, register_source


def succeeded_donations(board: str, start: datetime, end: datetime) -> list[Row]:
    """Named donors' succeeded (and not refunded) gifts in the period, on the donor board only."""
    if board != "donor":
        return []
    donor = sa.func.coalesce(sa.func.nullif(sa.func.lower(Donation.email), ""), sa.cast(Donation.id, sa.String))
    points = sa.func.sum(Donation.amount_fen // YUAN_PER_POINT_FEN)
    query = (
        sa.select(sa.func.min(Donation.id), sa.cast(points, sa.BigInteger), sa.func.count(),
                  sa.func.max(Donation.succeeded_at))
        .where(Donation.status == DonationStatus.SUCCEEDED, Donation.show_name.is_(True), Donation.donor_name != "",
               Donation.succeeded_at >= start, Donation.succeeded_at < end)
        .group_by(donor)
    )
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


def donor_names(ids: set[int]) -> dict[int, str]:
    """The names donors chose to show, by participant id."""
    rows = db.session.execute(sa.select(Donation.id, Donation.donor_name).where(Donation.id.in_(ids)))
    return dict(rows.all())


register_source("donations", succeeded_donations)
register_source("donor_names", donor_names)  # type: ignore[arg-type]
