"""A referral as its source sees it: the status object of GET /api/v1/referrals/{external_id}."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marketplace import clock
from marketplace.households.models import Referral, ReferralStatus
from marketplace.needs.models import Need, NeedStatus

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


def need_object(need: Need) -> dict[str, Any]:
    """One need as the source sees it: no household data, the helper's public name only."""
    return {
        "id": str(need.id),
        "kind": need.kind,
        "status": need.status,
        "light": need.light if need.light in LIGHT_ORDER else None,
        "claimed_by": need.claimed_by.name if need.claimed_by else None,
        "promised_by": _day(need.promised_by),
        "closed_at": rfc3339(need.closed_at),
        "rating": need.rating,
        "feedback": need.feedback or None,
    }


def status_object(referral: Referral) -> dict[str, Any]:
    """The whole status object of the contract."""
    return {
        "id": str(referral.id),
        "external_id": referral.external_id,
        "status": referral_status(referral),
        "light": worst_light(referral.needs),
        "decline_reason": referral.decline_reason or None,
        "needs": [need_object(n) for n in referral.needs],
        "updated_at": rfc3339(referral.changed_at),
    }
