"""Points for delivered help only (docs/leaderboards.md has the formula and the tie-break).

Each source returns, per participant, its points, how many contributions and when the last one
was delivered. Features add sources here as they land (meals, renovation pledges, donations).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.needs.models import Claim, ClaimStatus, Need, NeedStatus
from marketplace.organisations.models import Organisation

NEED_POINTS = 10  # per confirmed need, or confirmed part of a need taken in parts
YUAN_PER_POINT_FEN = 10_000  # and one point per full ¥100 of its value


@dataclass
class Score:
    """A participant's total in a period."""

    participant_id: int
    name: str
    points: int = 0
    contributions: int = 0
    last_at: datetime | None = None
    details: dict[str, int] | None = None

    def add(self, source: str, points: int, count: int, last_at: datetime | None) -> None:
        """Add one source's figures."""
        self.points += points
        self.contributions += count
        if last_at is not None and (self.last_at is None or last_at > self.last_at):
            self.last_at = last_at
        self.details = {**(self.details or {}), source: points}


Row = tuple[int, int, int, datetime | None]  # participant id, points, contributions, last delivered
Source = Callable[[str, datetime, datetime], list[Row]]


def confirmed_needs(board: str, start: datetime, end: datetime) -> list[Row]:
    """Organisations whose claims were confirmed in the period: a need taken whole when it closed,
    each part of a need taken in parts when that part was confirmed, for its share of the value."""
    whole = Claim.quantity >= Need.quantity
    share = (Need.value_fen * Claim.quantity) // Need.quantity  # the whole value for a need taken whole
    points = sa.func.sum(NEED_POINTS + share // YUAN_PER_POINT_FEN)  # a full ¥100 per point
    confirmed_at = sa.case((whole, Need.closed_at), else_=Claim.ended_at)
    query = (
        sa.select(Claim.organisation_id, sa.cast(points, sa.BigInteger), sa.func.count(), sa.func.max(confirmed_at))
        .join(Need, Need.id == Claim.need_id)
        .join(Organisation, Organisation.id == Claim.organisation_id)
        .where(Claim.status == ClaimStatus.COMPLETED, sa.or_(~whole, Need.status == NeedStatus.CLOSED),
               confirmed_at >= start, confirmed_at < end, Organisation.kind == board)
        .group_by(Claim.organisation_id)
    )
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


SOURCES: dict[str, Source] = {"needs": confirmed_needs}


def register_source(name: str, source: Source) -> None:
    """Let a feature (meals, renovations, donations) add what it counts."""
    SOURCES[name] = source


def _names(board: str, ids: set[int]) -> dict[int, str]:
    if board == "donor":
        from_donors: Any = SOURCES.get("donor_names")
        return from_donors(ids) if from_donors else {}
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(rows.all())


FEATURE_SOURCES = ("marketplace.meals.points", "marketplace.projects.points", "marketplace.donations.points")


def _load_feature_sources() -> None:
    """Import the features' point sources (each registers itself), whoever calls first."""
    for module in FEATURE_SOURCES:
        importlib.import_module(module)


def rank(board: str, start: datetime, end: datetime) -> list[Score]:
    """The ranking of a board for [start, end): most points first, ties broken as documented."""
    _load_feature_sources()
    scores: dict[int, Score] = {}
    for name, source in SOURCES.items():
        if name == "donor_names":
            continue
        for participant_id, points, count, last_at in source(board, start, end):
            scores.setdefault(participant_id, Score(participant_id, "")).add(name, int(points), int(count), last_at)
    names = _names(board, set(scores))
    for score in scores.values():
        score.name = names.get(score.participant_id, "")
    far_future = datetime.max.replace(tzinfo=start.tzinfo)
    return sorted(
        (s for s in scores.values() if s.points > 0),
        key=lambda s: (-s.points, -s.contributions, s.last_at or far_future, s.participant_id),
    )
