"""How an organisation finds needs: the one interface the two modes differ by.

`PullStrategy` reads the public list exactly as a visitor sees it (needs/browse.py, newest first,
one page). `MatchStrategy` takes the organisation's real recommendations
(`matching.recommend.for_organisation`) and answers the offers staff routed to it through the real
offer operations (`matching.offers.accept` / `decline`). docs/matching.md, "The district simulation".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from marketplace.clock import local_date
from marketplace.extensions import db
from marketplace.needs import browse
from marketplace.needs.models import Need
from marketplace.simulation.model import BROWSE_PAGE, OrgAgent, promise_days


@dataclass
class Answers:
    """What an organisation did with the offers routed to it: the claims it accepted (need id,
    claim id) and the needs it declined."""

    accepted: list[tuple[int, int]] = field(default_factory=list)
    declined: list[int] = field(default_factory=list)
    taken_in_part: list[int] = field(default_factory=list)  # accepted for fewer items than were left
    parts: int = 0  # accepted claims of less than the need's quantity
    refused: int = 0  # answers the domain refused (the offer expired or was cancelled meanwhile)


class Strategy(Protocol):
    """What a mode decides: which needs an organisation tries to claim, and its answers to offers."""

    name: str

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """Ids of the needs the organisation will try to claim, best first (it stops when full)."""
        ...

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """Accept or decline the offers routed to the organisation, through the real operations."""
        ...


def promised(org: OrgAgent, need: Need, now: datetime) -> date:
    """The date the organisation promises: its usual time with a margin, at most the fulfil-by date."""
    return min(local_date(now) + timedelta(days=promise_days(org)), need.fulfil_by)


class PullStrategy:
    """The bulletin board: the organisation sees the newest page of the public list and takes what fits."""

    name = "pull"

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """The fitting needs among the first page of the public list, newest first."""
        page = browse.browse(browse.BrowseFilter(sort="newest"), limit=BROWSE_PAGE).needs
        return [n.id for n in page if org.serves(n.category, n.street_code)]

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """Nobody routes offers on a bulletin board."""
        return Answers()


class MatchStrategy:
    """The organisation's 为您推荐 list (fit score, dismissals, offers to others left out) and its offers."""

    name = "match"

    def pick_needs(self, org: OrgAgent, now: datetime) -> list[int]:
        """Its recommendations in their order, keeping those it serves (category and streets): a
        recommendation may be of the city or the district around its streets, which this organisation
        does not go to."""
        from marketplace.matching import recommend
        from marketplace.organisations.models import Organisation

        organisation = db.session.get(Organisation, org.org_id)
        return [r.need.id for r in recommend.for_organisation(organisation, now)
                if org.serves(r.need.category, r.need.street_code)]

    def answer_offers(self, org: OrgAgent, now: datetime) -> Answers:
        """Each waiting offer, soonest due first, in its own unit: accepted (the need, or the part of it
        the organisation can take, becomes its claim) when it fits and the organisation has room,
        else declined with the code."""
        from marketplace.accounts.models import User
        from marketplace.errors import DomainError
        from marketplace.matching import offers
        from marketplace.matching.models import Offer
        from marketplace.unit_of_work import transaction

        answers = Answers()
        with transaction():
            waiting = [(o.id, o.need_id) for o in offers.open_for(org.org_id)]
        for offer_id, need_id in waiting:
            try:
                with transaction():
                    offer = db.session.get(Offer, offer_id)
                    need, member = db.session.get(Need, need_id), db.session.get(User, org.user_id)
                    reason = _decline_reason(org, need, answers)
                    if reason is None:
                        take = org.takes(need.left, need.quantity, need.value_fen)
                        offers.accept(offer, actor=member, promised_by=promised(org, need, now),
                                      quantity=take if take < need.left else None, now=now)
                        claim = need.part_of(org.org_id)
                        answers.accepted.append((need_id, claim.id))
                        answers.parts += claim.quantity < need.quantity
                        if need.left > 0:
                            answers.taken_in_part.append(need_id)
                    else:
                        offers.decline(offer, actor=member, reason=reason, now=now)
                        answers.declined.append(need_id)
            except DomainError:
                answers.refused += 1
        return answers


def _decline_reason(org: OrgAgent, need: Need, answers: Answers) -> str | None:
    """Why the organisation says no to this offer (the contract's codes), or None: it accepts."""
    from marketplace.matching.models import DeclineReason

    if need.category not in org.categories:
        return DeclineReason.OUTSIDE_SERVICES
    if org.streets and need.street_code not in org.streets:
        return DeclineReason.OUTSIDE_AREA
    # Room for one more claim, and items and value enough for at least one item: it accepts what it
    # can (a part, when it takes fewer items than are left).
    if org.free - len(answers.accepted) <= 0 or org.takes(need.left, need.quantity, need.value_fen) < 1:
        return DeclineReason.NO_CAPACITY
    return None


STRATEGIES: dict[str, type] = {"pull": PullStrategy, "match": MatchStrategy}
