"""The organisations staff are offered for routing one need, best first (one query over organisations).

Rank = the fit score (fit.py, the same expression as the recommendations, one need over many
organisations) + up to `ON_TIME` points for the share of its completed claims delivered by the
promised date + `ACTIVE` points when it took a claim in the last 30 days − `LOAD` points per claim
or offer it holds open now. docs/matching.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.matching import fit
from marketplace.matching.models import NeedDismissal, Offer
from marketplace.needs.models import Claim, ClaimStatus, Need
from marketplace.organisations.models import Organisation, OrgStatus, organisation_regions

ON_TIME = 10
ACTIVE = 5
LOAD = 2
SHOWN = 8


@dataclass(frozen=True)
class Suggestion:
    """One organisation staff may route the need to, and the figures it was ranked by."""

    organisation: Organisation
    fit: int
    rank: int
    load: int
    on_time: float | None  # share of completed claims delivered on time (None: none completed yet)
    recent_claims: int
    has_room: bool | None
    dismissed: bool
    offered_before: bool
    serves: bool  # it named the need's category and serves its place (or named no places)
    in_range: bool = True  # one item of the need is within the value it usually covers (or it named none)


def suggestions(need: Need, now: datetime, *, limit: int = SHOWN,
                exclude_offered: bool = False) -> list[Suggestion]:
    """Approved organisations ranked for this need (one SELECT over the organisations table)."""
    terms = fit.for_need(need, now)
    score = fit.score(terms, now)
    load = fit.open_load(Organisation.id)
    completed = sa.select(sa.func.count()).select_from(Claim).where(
        Claim.organisation_id == Organisation.id, Claim.status == ClaimStatus.COMPLETED).scalar_subquery()
    on_time = (sa.select(sa.func.count()).select_from(Claim).join(Need, Need.id == Claim.need_id)
               .where(Claim.organisation_id == Organisation.id, Claim.status == ClaimStatus.COMPLETED,
                      Need.delivered_at.is_not(None),
                      # by the day (in UTC: a delivery after midnight in Guangzhou may count a day early)
                      sa.func.date(Need.delivered_at) <= Claim.promised_by)
               .scalar_subquery())
    recent = sa.select(sa.func.count()).select_from(Claim).where(
        Claim.organisation_id == Organisation.id, Claim.created_at >= now - timedelta(days=30)).scalar_subquery()
    dismissed = sa.exists().where(NeedDismissal.organisation_id == Organisation.id, NeedDismissal.need_id == need.id)
    offered = sa.exists().where(Offer.organisation_id == Organisation.id, Offer.need_id == need.id)
    room = fit.has_room(Organisation.capacity_open, Organisation.capacity_month, Organisation.id, now)
    serves = serves_need(need, terms)
    in_range = within_value(need)
    on_time_points = sa.case((completed > 0, ON_TIME * on_time / sa.func.nullif(completed, 0)), else_=ON_TIME // 2)
    rank = (score + sa.cast(on_time_points, sa.Integer) + sa.case((recent > 0, ACTIVE), else_=0) - LOAD * load)
    query = (
        sa.select(Organisation, score.label("fit"), rank.label("rank"), load.label("load"),
                  completed.label("completed"), on_time.label("on_time"), recent.label("recent"),
                  room.label("room"), dismissed.label("dismissed"), offered.label("offered"),
                  serves.label("serves"), in_range.label("in_range"))
        .where(Organisation.status == OrgStatus.APPROVED,
               *([~offered] if exclude_offered else []))
        .order_by(sa.desc("rank"), Organisation.id).limit(limit)
    )
    # not one that holds the need, or a part of it, already
    query = query.where(~sa.exists().where(Claim.need_id == need.id, Claim.organisation_id == Organisation.id,
                                           Claim.status == ClaimStatus.ACTIVE))
    found = []
    for row in db.session.execute(query).all():
        found.append(Suggestion(
            organisation=row.Organisation, fit=int(row.fit), rank=int(row.rank), load=int(row.load),
            on_time=(row.on_time / row.completed) if row.completed else None, recent_claims=int(row.recent),
            has_room=None if row.room is None else bool(row.room), dismissed=bool(row.dismissed),
            offered_before=bool(row.offered), serves=bool(row.serves), in_range=bool(row.in_range)))
    return found


def serves_need(need: Need, terms: fit.Terms) -> sa.ColumnElement[bool]:
    """Whether the organisation said it helps with this: it named the need's category, and it named
    no places, or the need's street, or its whole district. A close neighbour that does something
    else ranks high on place alone, and so does a street organisation of the same district (the fit
    score's "same district"); both are shown, neither is routed to by itself."""
    served = organisation_regions.c.organisation_id == Organisation.id
    no_places = ~sa.exists().where(served)
    whole_district = sa.exists().where(served, organisation_regions.c.region_code == need.district_code)
    return sa.and_(terms.category_match, sa.or_(no_places, terms.same_street, whole_district))


def within_value(need: Need) -> sa.ColumnElement[bool]:
    """Whether the organisation could take at least one item of the need within the value it usually
    covers: the value of one item at most its maximum, the whole need at least its minimum (a need of
    several items may be taken in part, docs/parts.md)."""
    per_item = sa.literal(need.value_fen // max(need.quantity, 1), sa.BigInteger)
    whole = sa.literal(need.value_fen, sa.BigInteger)
    return sa.and_(sa.or_(Organisation.value_max_fen.is_(None), per_item <= Organisation.value_max_fen),
                   sa.or_(Organisation.value_min_fen.is_(None), whole >= Organisation.value_min_fen))


def first_fitting(found: list[Suggestion]) -> Organisation | None:
    """The first suggestion that serves the need, covers its value, has room, did not dismiss it and
    was not offered it."""
    for suggestion in found:
        if suggestion.serves and suggestion.in_range and suggestion.has_room is not False \
                and not suggestion.dismissed \
                and not suggestion.offered_before:
            return suggestion.organisation
    return None


def next_organisation(need: Need, now: datetime) -> Organisation | None:
    """The best suggestion that serves the need, was never offered it, did not dismiss it and has room."""
    return first_fitting(suggestions(need, now, limit=20, exclude_offered=True))
