"""The fit score of a need for an organisation: one SQL expression, whichever side is many.

`score(terms, now)` adds up points from `Terms`, a handful of SQL expressions. Built by
`for_organisation` (one organisation over many needs: the organisation's profile is bound as
literals, the need's columns vary; the recommendations) or by `for_need` (one need over many
organisations: the need is bound, the organisation's columns and subqueries vary; staff's suggested
organisations), it is the same expression either way. docs/matching.md documents the points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import clock
from marketplace.extensions import db
from marketplace.matching.models import Offer, OfferStatus
from marketplace.needs.models import Claim, ClaimStatus, Need
from marketplace.organisations.models import Organisation, OrganisationCategory, organisation_regions
from marketplace.regions.models import Region

# The points of each part of the score (docs/matching.md). The biggest are what the organisation
# said it does and where; the rest order needs of the same fit by how much they need a helper now.
CATEGORY = 40
STREET, DISTRICT = 30, 20  # the city (anywhere else): 0
WAITING = ((14, 15), (7, 10), (3, 5))  # (days waited at least, points)
LIGHT = {"red": 10, "yellow": 5}
URGENT = 10
VALUE = 10  # the value is within the range the organisation usually covers (or it stated none)
ROOM = 5  # the organisation has room for another claim (or stated no capacity)
FULL = -50  # at full capacity: it cannot take this now


@dataclass(frozen=True)
class Terms:
    """The parts the score is made of, each a SQL expression (a column, a subquery or a literal)."""

    category_match: Any
    same_street: Any
    same_district: Any
    published_at: Any
    light: Any
    is_urgent: Any
    value_fen: Any
    value_min_fen: Any
    value_max_fen: Any
    has_room: Any  # true, false, or NULL (capacity not stated)


def _unset(bound_value: Any) -> bool:
    """Whether a bound side's value is NULL itself (not stated): then its condition holds for all."""
    return isinstance(bound_value, sa.sql.elements.Null)


def _within(value: Any, low: Any, high: Any) -> Any:
    """value ≥ low and value ≤ high, each bound NULL meaning no bound."""
    parts = []
    if not _unset(low):
        parts.append(sa.or_(low.is_(None), value >= low))
    if not _unset(high):
        parts.append(sa.or_(high.is_(None), value <= high))
    return sa.and_(sa.true(), *parts)


def _when(condition: Any, points: int) -> Any:
    return sa.case((condition, points), else_=0)


def waiting_points(published_at: Any, now: datetime) -> Any:
    """Points for the time waited since publication, by comparison with fixed moments (no date
    arithmetic in SQL, so both databases read the same expression and an index can serve it)."""
    return sa.case(*[(published_at <= now - timedelta(days=days), points) for days, points in WAITING], else_=0)


def score(terms: Terms, now: datetime) -> Any:
    """The fit score: a SQL integer expression over `terms`."""
    region = sa.case((terms.same_street, STREET), (terms.same_district, DISTRICT), else_=0)
    light = sa.case(*[(terms.light == code, points) for code, points in LIGHT.items()], else_=0)
    in_range = _within(terms.value_fen, terms.value_min_fen, terms.value_max_fen)
    room = sa.literal(ROOM) if _unset(terms.has_room) else sa.case(
        (terms.has_room.is_(None), ROOM), (terms.has_room, ROOM), else_=FULL)
    return (_when(terms.category_match, CATEGORY) + region + waiting_points(terms.published_at, now) + light
            + _when(terms.is_urgent, URGENT) + _when(in_range, VALUE) + room)


# --- one organisation, many needs ------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """What one organisation said it does, read once: the literals of its side of the score."""

    organisation_id: int
    categories: frozenset[str]
    streets: frozenset[str]
    districts: frozenset[str]  # the districts it serves, and those of the streets it serves
    value_min_fen: int | None
    value_max_fen: int | None
    has_room: bool | None


def profile(org: Organisation, now: datetime) -> Profile:
    """The organisation's side of the score (its load is counted now)."""
    codes = [region.code for region in org.regions]
    rows = db.session.execute(sa.select(Region.code, Region.level, Region.parent_code)
                              .where(Region.code.in_(codes))).all() if codes else []
    streets = frozenset(code for code, level, _parent in rows if level == "street")
    districts = frozenset([code for code, level, _parent in rows if level != "street"]
                          + [parent for _code, level, parent in rows if level == "street" and parent])
    return Profile(org.id, frozenset(org.categories), streets, districts, org.value_min_fen, org.value_max_fen,
                   room_left(org, now))


def bound(value: Any, type_: Any) -> Any:
    """A value of the bound side as SQL: NULL itself for None (PostgreSQL cannot type `$1 IS NULL`)."""
    return sa.null() if value is None else sa.literal(value, type_)


def _in(column: Any, values: Iterable[str]) -> Any:
    values = sorted(values)
    return column.in_(values) if values else sa.false()


def for_organisation(p: Profile) -> Terms:
    """The terms for one organisation over the needs table."""
    return Terms(
        category_match=_in(Need.category, p.categories), same_street=_in(Need.street_code, p.streets),
        same_district=_in(Need.district_code, p.districts), published_at=Need.published_at, light=Need.light,
        is_urgent=Need.is_urgent, value_fen=Need.value_fen,
        value_min_fen=bound(p.value_min_fen, sa.BigInteger), value_max_fen=bound(p.value_max_fen, sa.BigInteger),
        has_room=bound(p.has_room, sa.Boolean),
    )


# --- one need, many organisations ------------------------------------------------------------------

def open_load(org_id: Any) -> Any:
    """Claims the organisation holds now, and offers waiting for its answer (a correlated subquery
    when `org_id` is a column)."""
    claims = sa.select(sa.func.count()).select_from(Claim).where(
        Claim.organisation_id == org_id, Claim.status == ClaimStatus.ACTIVE).scalar_subquery()
    offers = sa.select(sa.func.count()).select_from(Offer).where(
        Offer.organisation_id == org_id, Offer.status == OfferStatus.REQUESTED).scalar_subquery()
    return claims + offers


def month_load(org_id: Any, month_start: datetime) -> Any:
    """Claims the organisation took since the month began."""
    return sa.select(sa.func.count()).select_from(Claim).where(
        Claim.organisation_id == org_id, Claim.created_at >= month_start).scalar_subquery()


def month_start(now: datetime) -> datetime:
    """The first moment of the calendar month in Guangzhou."""
    local = clock.local(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def has_room(capacity_open: Any, capacity_month: Any, org_id: Any, now: datetime) -> Any:
    """Room for one more: true, false, or NULL when the organisation stated no capacity at all."""
    open_ok = sa.true() if _unset(capacity_open) else sa.or_(capacity_open.is_(None),
                                                             open_load(org_id) < capacity_open)
    month_ok = sa.true() if _unset(capacity_month) else sa.or_(
        capacity_month.is_(None), month_load(org_id, month_start(now)) < capacity_month)
    return sa.case((sa.and_(capacity_open.is_(None), capacity_month.is_(None)), sa.null()),
                   else_=sa.and_(open_ok, month_ok))


def room_left(org: Organisation, now: datetime) -> bool | None:
    """Whether this organisation has room for one more claim (None: it stated no capacity)."""
    if org.capacity_open is None and org.capacity_month is None:
        return None
    query = sa.select(has_room(bound(org.capacity_open, sa.Integer), bound(org.capacity_month, sa.Integer),
                               org.id, now))
    return bool(db.session.scalar(query))


def for_need(need: Need, now: datetime) -> Terms:
    """The terms for one need over the organisations table."""
    mine = OrganisationCategory.organisation_id == Organisation.id
    serves = organisation_regions.c.organisation_id == Organisation.id
    in_district = sa.select(Region.code).where(sa.or_(Region.code == need.district_code,
                                                      Region.parent_code == need.district_code))
    return Terms(
        category_match=sa.exists().where(mine, OrganisationCategory.category == need.category),
        same_street=(sa.exists().where(serves, organisation_regions.c.region_code == need.street_code)
                     if need.street_code else sa.false()),
        same_district=sa.exists().where(serves, organisation_regions.c.region_code.in_(in_district)),
        published_at=sa.literal(need.published_at or now, Need.published_at.type),
        light=bound(need.light, sa.String), is_urgent=sa.literal(need.is_urgent, sa.Boolean),
        value_fen=sa.literal(need.value_fen, sa.BigInteger),
        value_min_fen=Organisation.value_min_fen, value_max_fen=Organisation.value_max_fen,
        has_room=has_room(Organisation.capacity_open, Organisation.capacity_month, Organisation.id, now),
    )
