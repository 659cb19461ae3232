"""How an organisation finds needs: the one interface the two modes differ by.

`PullStrategy` reads the public list exactly as a visitor sees it (needs/browse.py, newest first,
one page). `StandInMatchStrategy` is a STAND-IN for `marketplace.matching` (being built on the
`match` and `parts` branches): it ranks the open needs by a simple category/region fit inside the
simulation and answers no offers. At merge, replace it with a strategy that calls the real
recommendation, offer and part operations (docs/matching.md, "The district simulation", "Wiring the real matching").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from marketplace.clock import local_date
from marketplace.extensions import db
from marketplace.needs import browse
from marketplace.needs.models import Need, NeedStatus
from marketplace.simulation.model import BROWSE_PAGE, DISTRICT, OrgAgent


@dataclass
class Answers:
    """What an organisation did with the offers routed to it in one look."""

    accepted: int = 0
    declined: int = 0


class Strategy(Protocol):
    """What a mode decides: which needs an organisation tries to claim, and its answers to offers."""

    name: str

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """Ids of the needs the organisation will try to claim, best first (it stops when full)."""
        ...

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """Accept or decline the offers routed to the organisation, through the real operations."""
        ...


class PullStrategy:
    """The bulletin board: the organisation sees the newest page of the public list and takes what fits."""

    name = "pull"

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """The fitting needs among the first page of the public list, newest first."""
        page, _cursor = browse.browse(browse.BrowseFilter(sort="newest"), limit=BROWSE_PAGE)
        return [n.id for n in page if org.serves(n.category, n.street_code)]

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """Nobody routes offers on a bulletin board."""
        return Answers()


class StandInMatchStrategy:
    """STAND-IN for marketplace.matching's recommendations: replace at merge (see module docstring).

    Fit, in the spirit of the issue's score: the category must be one the organisation provides and
    the street one it serves; then same street (3) over whole-district service (2), urgency (+2) and
    waiting (+0.2 a day), ties by publication then id.
    """

    name = "match"

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """Every open need that fits, ranked by the stand-in fit score."""
        query = sa.select(Need.id, Need.street_code, Need.is_urgent, Need.published_at).where(
            Need.status == NeedStatus.PUBLISHED, Need.district_code == DISTRICT,
            Need.category.in_(org.categories), Need.claim_deadline >= local_date(now),
        )
        if org.streets:
            query = query.where(Need.street_code.in_(org.streets))
        scored = []
        for need_id, street, urgent, published in db.session.execute(query.order_by(Need.id)):
            waited = (now - published).total_seconds() / 86400 if published else 0.0
            score = (3 if org.streets and street in org.streets else 2) + (2 if urgent else 0) + 0.2 * waited
            scored.append((-round(score, 6), published, need_id))
        return [need_id for _score, _published, need_id in sorted(scored)]

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """No routed offers exist on main yet: the `match` branch brings them (wire them at merge)."""
        return Answers()


STRATEGIES: dict[str, type] = {"pull": PullStrategy, "match": StandInMatchStrategy}
