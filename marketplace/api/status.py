"""A referral as its source sees it: the status object of GET /api/v1/referrals/{external_id}.

Its shape is declared once, by the typed dicts below: `status_object` builds them and the OpenAPI
document shows them.
Each type's `__doc__` (marked `N_`, for the catalog) is its description in the OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema
from sqlalchemy.orm import selectinload
from typing_extensions import TypedDict

from marketplace import clock
from marketplace.households.contract import N_, NEED_KINDS
from marketplace.households.identity import token as household_token
from marketplace.households.models import DeclineCode, Referral, ReferralStatus
from marketplace.matching import offers as routed_offers
from marketplace.matching.models import DeclineReason, OfferStatus
from marketplace.needs.models import OPEN_STATUSES, Claim, Need, NeedStatus
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


PART_STATUSES = ("claimed", "delivered", "closed", "released")
OUTCOME_CODES = ("helped", "partly_helped", "not_helped", "declined", "transferred")


class PartOut(TypedDict):
    __doc__ = N_("One organisation's part of a need: a need taken whole has one part covering its quantity.")

    claimed_by: Annotated[str, Field(description=N_("Public name of the organisation."))]
    quantity: Annotated[int, Field(ge=1)]
    status: Literal[PART_STATUSES]
    promised_by: Day


class OutcomeOut(TypedDict):
    __doc__ = N_("How the referral ended: null while any of its needs is open.")

    code: Literal[OUTCOME_CODES]
    reason: Annotated[Literal[tuple(c.value for c in DeclineCode)] | None,
                      Field(description=N_("The coded reason of a decline; null for the other codes."))]
    at: Annotated[Moment, Field(description=N_("When the outcome was reached, in +08:00."))]


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
    quantity: Annotated[int, Field(ge=1)]
    parts: Annotated[list[PartOut], Field(description=N_("Who took how much, oldest first."))]


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
    outcome: OutcomeOut | None
    needs: list[NeedStatusOut]
    updated_at: Annotated[Moment, Field(description=N_("Last change, in +08:00."))]


def loading() -> tuple[Any, ...]:
    """What a query of referrals loads with them for their status objects, in a few SELECTs instead of
    one per need and part: the needs, their helper, their parts and each part's organisation."""
    needs = selectinload(Referral.needs)
    return (needs.selectinload(Need.claimed_by), needs.selectinload(Need.claims).selectinload(Claim.organisation))


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


def part_object(part: Claim) -> PartOut:
    """One part as the source sees it: the organisation's public name, never who acted."""
    return PartOut(claimed_by=part.organisation.name, quantity=part.quantity, status=part.part_status,
                   promised_by=_day(part.promised_by))


def referral_outcome(referral: Referral, *, transferred_at: datetime | None = None) -> OutcomeOut | None:
    """The contract's `outcome`: derived from the referral and its needs each time it is read, so a
    need re-planned (open again) puts it back to null by itself.

    `transferred_at` is the hook for transfers to a government department (the `transfers`
    feature): when the referral was handed over, and none of its needs was closed by a
    confirmation, the outcome is `transferred` at that time once no need is open any more.
    """
    if transferred_at is not None and referral.status == ReferralStatus.DECLINED:
        # A department took the whole referral over: handed on, not refused.
        return OutcomeOut(code="transferred", reason=None, at=rfc3339(transferred_at))
    if referral.status == ReferralStatus.DECLINED:
        at = referral.declined_at or referral.changed_at
        return OutcomeOut(code="declined", reason=referral.decline_code or DeclineCode.OTHER, at=rfc3339(at))
    if referral.status != ReferralStatus.TRIAGED or not referral.needs:
        return None
    needs = list(referral.needs)
    if any(n.status in OPEN_STATUSES or n.status == NeedStatus.DRAFT for n in needs):
        return None
    closed = [n for n in needs if n.status == NeedStatus.CLOSED]
    at = max((n.closed_at if n.status == NeedStatus.CLOSED and n.closed_at else n.updated_at) for n in needs)
    if transferred_at is not None and not closed:
        return OutcomeOut(code="transferred", reason=None, at=rfc3339(transferred_at))
    # a need closed with only some of its quantity taken (its deadline passed) helped in part
    whole = [n for n in closed if (n.claimed_quantity or n.quantity) >= n.quantity]
    code = "helped" if len(whole) == len(needs) else "partly_helped" if closed else "not_helped"
    return OutcomeOut(code=code, reason=None, at=rfc3339(at))


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
        quantity=need.quantity,
        parts=[part_object(c) for c in need.claims],
    )


def status_object(referral: Referral) -> ReferralStatusOut:
    """The whole status object of the contract."""
    transferred_at = transfers.transferred_at(referral)
    return ReferralStatusOut(
        id=str(referral.id),
        external_id=referral.external_id,
        household=household_token(referral.source, referral.household_id),
        status=referral_status(referral),
        light=worst_light(referral.needs),
        decline_reason=referral.decline_reason or None,
        outcome=referral_outcome(referral, transferred_at=transferred_at),
        needs=[need_object(n) for n in referral.needs],
        updated_at=rfc3339(referral.changed_at),
    )
