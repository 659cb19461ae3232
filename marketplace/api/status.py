"""A referral as its source sees it: the status object of GET /api/v1/referrals/{external_id}.

Its shape is declared once, by the typed dicts below: `status_object` builds them and the OpenAPI
document shows them.
Each type's `__doc__` (marked `N_`, for the catalog) is its description in the OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from marketplace import clock
from marketplace.households.contract import N_, NEED_KINDS
from marketplace.households.identity import token as household_token
from marketplace.households.models import Referral, ReferralStatus
from marketplace.matching import offers as routed_offers
from marketplace.matching.models import DeclineReason, OfferStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.transfers import service as transfers

# How far a need has come, least advanced first; a referral stands where its slowest need stands.
PROGRESS: dict[str, tuple[int, str]] = {
    NeedStatus.DRAFT: (0, "triaged"),
    NeedStatus.PUBLISHED: (1, "published"),
    NeedStatus.EXPIRED: (1, "published"),
    NeedStatus.CLAIMED: (2, "claimed"),
    NeedStatus.DELIVERED: (3, "delivered"),
    NeedStatus.CLOSED: (4, "closed"),
}
LIGHT_ORDER = {"green": 0, "yellow": 1, "red": 2}
REFERRAL_STATUSES = ("received", "triaged", "declined", "published", "claimed", "delivered", "closed", "cancelled")

Light = Literal[tuple(LIGHT_ORDER)]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class TransferOut(TypedDict):
    __doc__ = N_("The need's transfer to a government department.")

    department: str
    status: Literal["requested", "answered", "overdue"]
    due: Day
    answer: str | None
class OfferOut(TypedDict):
    __doc__ = N_("The latest routed offer of the need to one organisation (HL7 FHIR Task statuses).")

    to: Annotated[str, Field(description=N_("Public name of the organisation the need was offered to."))]
    status: Literal[tuple(s.value for s in OfferStatus)]
    due: Annotated[Moment, Field(description=N_("When the offer expires unanswered, in +08:00."))]
    reason: Annotated[Literal[tuple(r.value for r in DeclineReason)] | None,
                      Field(description=N_("Why a rejected offer was declined."))]


class NeedStatusOut(TypedDict):
    __doc__ = N_("One need of the referral.")

    id: str
    kind: Literal[NEED_KINDS]
    status: Literal[tuple(s.value for s in NeedStatus)]
    light: Light | None
    claimed_by: Annotated[str | None, Field(description=N_("Public name of the helping organisation."))]
    promised_by: Day | None
    closed_at: Moment | None
    rating: Annotated[int, Field(ge=1, le=5)] | None
    feedback: str | None
    transfer: Annotated[TransferOut | None, Field(description=N_("Null unless the need was transferred."))]
    offer: OfferOut | None


class ReferralStatusOut(TypedDict):
    __doc__ = N_("Where a referral stands.")

    id: str
    external_id: str
    household: Annotated[str, Field(description=N_(
        "The household as this source knows it: the same for referrals of this source with one ID number, "
        "whatever channel brought them in; it reveals nothing else."))]
    status: Literal[REFERRAL_STATUSES]
    light: Annotated[Light | None, Field(description=N_("The worst light of its needs."))]
    decline_reason: str | None
    needs: list[NeedStatusOut]
    updated_at: Annotated[Moment, Field(description=N_("Last change, in +08:00."))]


def rfc3339(value: datetime | None) -> str | None:
    """A time in Guangzhou's offset, to the second (2026-11-21T09:12:00+08:00)."""
    return clock.local(value).isoformat(timespec="seconds") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def referral_status(referral: Referral) -> str:
    """received/declined from the referral itself; once triaged, from its needs."""
    if referral.status != ReferralStatus.TRIAGED:
        return referral.status
    live = [n for n in referral.needs if n.status != NeedStatus.CANCELLED]
    if referral.needs and not live:
        return "cancelled"
    ranks = [PROGRESS[n.status] for n in live if n.status in PROGRESS]
    return min(ranks)[1] if ranks else "triaged"


def worst_light(needs: list[Need]) -> str | None:
    """The worst light among the needs (red > yellow > green); None while none has one."""
    lights = [n.light for n in needs if n.light in LIGHT_ORDER]
    return max(lights, key=LIGHT_ORDER.__getitem__) if lights else None


def transfer_object(need: Need) -> TransferOut | None:
    """The need's latest transfer as the contract shows it (the department's public name, no note)."""
    latest = transfers.latest_transfer(need)
    if latest is None:
        return None
    return TransferOut(department=latest.department.name, status=transfers.status_of(latest, clock.today()),
                       due=latest.due_on.isoformat(), answer=latest.answer or None)
def offer_object(need: Need) -> OfferOut | None:
    """The need's latest offer as the contract's v1 additions give it, or None."""
    offer = routed_offers.latest(need.id)
    if offer is None:
        return None
    return OfferOut(to=offer.organisation.name, status=offer.status, due=rfc3339(offer.due_at),
                    reason=offer.reason if offer.status == OfferStatus.REJECTED else None)


def need_object(need: Need) -> NeedStatusOut:
    """One need as the source sees it: no household data, the helper's public name only."""
    return NeedStatusOut(
        id=str(need.id),
        kind=need.kind,
        status=need.status,
        light=need.light if need.light in LIGHT_ORDER else None,
        claimed_by=need.claimed_by.name if need.claimed_by else None,
        promised_by=_day(need.promised_by),
        closed_at=rfc3339(need.closed_at),
        rating=need.rating,
        feedback=need.feedback or None,
        transfer=transfer_object(need),
        offer=offer_object(need),
    )


def status_object(referral: Referral) -> ReferralStatusOut:
    """The whole status object of the contract."""
    return ReferralStatusOut(
        id=str(referral.id),
        external_id=referral.external_id,
        household=household_token(referral.source, referral.household_id),
        status=referral_status(referral),
        light=worst_light(referral.needs),
        decline_reason=referral.decline_reason or None,
        needs=[need_object(n) for n in referral.needs],
        updated_at=rfc3339(referral.changed_at),
    )
