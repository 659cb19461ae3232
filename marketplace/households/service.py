"""Staff work on households and referrals: audited personal-data views, triage and decline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock, money, state
from marketplace.accounts.models import User
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.changes import stamp as changes
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households.models import DeclineCode, Household, Referral, ReferralStatus
from marketplace.needs import privacy
from marketplace.needs.models import Need, NeedStatus
from marketplace.search import personal
from marketplace.settings import service as settings


class TriageError(DomainError):
    """A triage step was refused; the message says why."""


class ReferralAction(StrEnum):
    """What staff can do to a referral; a page asks `allowed(referral).decline`."""

    TRIAGE = "triage"  # write one (more) need from it
    DECLINE = "decline"


REFERRAL_MOVES: state.Moves[ReferralAction, ReferralStatus] = state.Moves(Referral.status, {
    ReferralAction.TRIAGE: ((ReferralStatus.RECEIVED, ReferralStatus.TRIAGED), ReferralStatus.TRIAGED),
    ReferralAction.DECLINE: ((ReferralStatus.RECEIVED,), ReferralStatus.DECLINED),
})


@state.answers(Referral)
def allowed(referral: Referral, user: Any) -> state.Allowed[ReferralAction]:
    """Staff of the referral's region triage or decline it as its status allows."""
    offered = REFERRAL_MOVES.offered(referral.status)
    return state.Allowed(ReferralAction, offered if _in_region(user, referral) else (), offered)


def may_see_personal_data(user: Any, household: Household) -> bool:
    """Only staff of the household's region (and admins) ever see its personal data."""
    return covers(user, household)


def reveal_personal_data(household: Household, *, actor: User) -> dict[str, str]:
    """Name, phone, address and ID number, for staff of the region; every call is audited."""
    if not may_see_personal_data(actor, household):
        raise PermissionError("outside your region")
    audit.record("household.view_personal", actor=actor, obj=household, region_code=household.region_code)
    return {
        "head_name": household.head_name, "phone": household.phone,
        "address": household.address, "id_number": household.id_number,
    }


def find_households(query: sa.Select, typed: str, *, actor: User) -> sa.Select:
    """Narrow a household list to exact matches of a name, phone, ID number or source id; audited.

    Personal data is compared through keyed hashes only (search/personal.py). The audit row says
    what kind of value was looked up and holds a keyed hash of it, never the value.
    """
    typed = typed.strip()
    keys = [Household.external_id == typed]
    for purpose, column in ((personal.NAME, Household.name_hash), (personal.PHONE, Household.phone_hash),
                            (personal.ID_NUMBER, Household.id_number_hash)):
        digest = personal.digest(purpose, typed)
        if digest:
            keys.append(column == digest)
    audit.record("household.search", actor=actor, object_type="households",
                 region_code=getattr(actor, "region_code", None),
                 after={"looked_up": personal.looks_like(typed),
                        "value_hash": personal.keyed_hash("audit-search", typed)[:16]})
    return query.where(sa.or_(*keys))


def decline(referral: Referral, *, actor: User, reason: str, code: str = DeclineCode.OTHER) -> None:
    """Decline a received referral with one of the contract's coded reasons (`other` needs words);
    the code and the words flow back to the source as the referral's outcome."""
    _check(referral, actor)
    reason = (reason or "").strip()
    if code not in set(DeclineCode):
        raise TriageError(_l("choose why the referral is declined"))
    if not reason and code == DeclineCode.OTHER:
        raise TriageError(_l("a decline needs a reason"))
    if not REFERRAL_MOVES.allows(ReferralAction.DECLINE, referral.status):
        raise TriageError(_l("only a referral waiting for triage can be declined"))
    referral.status, referral.decline_reason = ReferralStatus.DECLINED, reason or code
    referral.decline_code, referral.declined_at = code, clock.now()
    referral.triaged_by_id = actor.id
    changes.touch(referral.id)
    audit.record("referral.decline", actor=actor, obj=referral, region_code=referral.district_code,
                 before={"status": "received"}, after={"status": "declined", "reason": reason, "decline_code": code})


@dataclass
class NeedDraft:
    """What staff write when they turn a referral into a need."""

    kind: str
    category: str
    title: str
    story: str
    quantity: int
    value_fen: int
    is_urgent: bool
    claim_deadline: date
    fulfil_by: date


def triage(referral: Referral, draft: NeedDraft, *, actor: User) -> Need:
    """Turn a referral into one (more) need, as a draft to publish; the story must be pseudonymous."""
    _check(referral, actor)
    if not REFERRAL_MOVES.allows(ReferralAction.TRIAGE, referral.status):
        raise TriageError(_l("this referral was declined"))
    check_draft(draft, referral.household)
    need = Need(
        household=referral.household, referral=referral, district_code=referral.household.district_code,
        street_code=referral.household.street_code, kind=draft.kind, category=draft.category,
        title=draft.title.strip(), story=draft.story.strip(), quantity=draft.quantity, value_fen=draft.value_fen,
        is_urgent=draft.is_urgent, claim_deadline=draft.claim_deadline, fulfil_by=draft.fulfil_by,
        status=NeedStatus.DRAFT, created_by_id=actor.id,
    )
    before = referral.status
    referral.status, referral.triaged_by_id, referral.updated_at = ReferralStatus.TRIAGED, actor.id, clock.now()
    db.session.add(need)
    db.session.flush()
    changes.touch(referral.id)
    audit.record("need.create", actor=actor, obj=need, region_code=need.region_code,
                 after={"status": "draft", "referral_id": referral.id, "value_fen": need.value_fen})
    if before != ReferralStatus.TRIAGED:
        audit.record("referral.triage", actor=actor, obj=referral, region_code=referral.district_code,
                     before={"status": before}, after={"status": "triaged"})
    return need


def check_draft(draft: NeedDraft, household: Household) -> None:
    """Caps, dates and the privacy of the public story."""
    if draft.kind not in ("wish", "service"):
        raise TriageError(_l("triage creates micro-wishes and services"))
    cap = settings.get("wish_cap_fen")
    if draft.kind == "wish" and draft.value_fen > cap:
        raise TriageError(_l("a micro-wish may be worth at most %(cap)s", cap=money.show(cap)))
    if draft.value_fen < 0 or draft.quantity < 1:
        raise TriageError(_l("value and quantity must be positive"))
    if draft.fulfil_by < draft.claim_deadline:
        raise TriageError(_l("the fulfil-by date cannot be before the claim deadline"))
    privacy.refuse_leaks(household, title=draft.title, story=draft.story)


def _in_region(user: Any, referral: Referral) -> bool:
    return covers(user, referral)


def _check(referral: Referral, actor: User) -> None:
    if not _in_region(actor, referral):
        raise PermissionError("outside your region")
