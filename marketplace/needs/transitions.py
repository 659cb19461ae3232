"""Every state change of a need (DESIGN.md §4): one function each, atomic, checked, audited.

Each function checks who may act and from which state, changes the state with a conditional
UPDATE (so two people acting at once cannot both succeed), writes the audit log and only flushes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import in_scope
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.changes import stamp as changes
from marketplace.db import UTCDateTime, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.needs.models import OPEN_STATUSES, Claim, ClaimStatus, Evidence, Need, NeedStatus
from marketplace.organisations.models import Organisation
from marketplace.organisations.service import OrganisationError, ensure_may_act
from marketplace.settings import service as settings

# A code a person can read aloud and type: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class TransitionError(DomainError):
    """The change is not allowed now; the message says why, in the reader's language."""


def _move(need: Need, expected: tuple[str, ...], values: dict[str, Any], message: Any) -> None:
    """Change a need's state only if it is still in an expected state (one winner under races)."""
    result = db.session.execute(
        sa.update(Need)
        .where(Need.id == need.id, Need.status.in_(expected))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(need)
        raise TransitionError(message)
    db.session.refresh(need)
    changes.touch(need.referral_id)  # the referral's status object changed: into the API's feed


def _record(action: str, need: Need, actor: Any, before: str, **after: Any) -> None:
    audit.record(action, actor=actor, obj=need, region_code=need.region_code,
                 before={"status": before}, after={"status": need.status, **after})


def _staff(actor: User, need: Need) -> None:
    if actor.role not in (Role.STAFF, Role.ADMIN) or not in_scope(actor, need.district_code, need.street_code):
        raise PermissionError("outside your region")


def _member_of_claimer(actor: User, need: Need) -> Organisation:
    org = actor.organisation if actor.role == Role.ORG_MEMBER else None
    if org is None or need.claimed_by_id != org.id:
        raise PermissionError("not your organisation's claim")
    return org


def publish(need: Need, *, actor: User) -> None:
    """Draft → published; the wish cap is checked again (an admin may have lowered it)."""
    _staff(actor, need)
    if need.kind == "wish" and need.value_fen > settings.get("wish_cap_fen"):
        raise TransitionError(_l("this micro-wish is worth more than the current cap"))
    if need.claim_deadline < clock.today():
        raise TransitionError(_l("the claim deadline has passed: set new dates first"))
    _move(need, (NeedStatus.DRAFT,), {"status": NeedStatus.PUBLISHED, "published_at": utcnow()},
          _l("only a draft can be published"))
    _record("need.publish", need, actor, "draft")


def cancel(need: Need, *, actor: User, reason: str) -> None:
    """Draft, published or expired → cancelled, with a reason."""
    _staff(actor, need)
    if not (reason or "").strip():
        raise TransitionError(_l("a cancellation needs a reason"))
    before = need.status
    _move(need, (NeedStatus.DRAFT, NeedStatus.PUBLISHED, NeedStatus.EXPIRED),
          {"status": NeedStatus.CANCELLED, "last_reason": reason.strip()},
          _l("a claimed need cannot be cancelled: release or reassign the claim first"))
    _record("need.cancel", need, actor, before, reason=reason.strip())


def replan(need: Need, *, actor: User, claim_deadline: date, fulfil_by: date) -> None:
    """Expired → published again with new dates (staff re-plan a need nobody claimed)."""
    _staff(actor, need)
    if claim_deadline < clock.today() or fulfil_by < claim_deadline:
        raise TransitionError(_l("choose a future claim deadline and a fulfil-by date after it"))
    _move(need, (NeedStatus.EXPIRED,), {"status": NeedStatus.PUBLISHED, "published_at": utcnow(),
                                         "claim_deadline": claim_deadline, "fulfil_by": fulfil_by},
          _l("only an expired need can be re-planned"))
    _record("need.replan", need, actor, "expired", claim_deadline=claim_deadline.isoformat())


def claim(need: Need, *, actor: User, promised_by: date) -> Claim:
    """Published → claimed by the actor's approved organisation; exactly one claimant wins."""
    org = actor.organisation if actor.role == Role.ORG_MEMBER else None
    if org is None:
        raise PermissionError("only organisation members claim")
    try:
        ensure_may_act(org)
    except OrganisationError as exc:
        raise TransitionError(str(exc)) from exc
    today = clock.today()
    if not today <= promised_by <= need.fulfil_by:
        raise TransitionError(_l("promise a date between today and %(date)s", date=need.fulfil_by.isoformat()))
    if need.status == NeedStatus.PUBLISHED and need.claim_deadline < today:
        raise TransitionError(_l("the claim deadline of this need has passed"))
    try:
        _move(need, (NeedStatus.PUBLISHED,),
              {"status": NeedStatus.CLAIMED, "claimed_by_id": org.id, "promised_by": promised_by},
              _l("Sorry, this need was just taken by another organisation."))
    except TransitionError:
        if need.status in (NeedStatus.CLAIMED, NeedStatus.DELIVERED, NeedStatus.CLOSED):
            raise
        raise TransitionError(_l("this need is not open for claims")) from None
    record = Claim(organisation_id=org.id, promised_by=promised_by, created_by_id=actor.id)
    need.claims.append(record)
    db.session.flush()
    _record("need.claim", need, actor, "published", organisation_id=org.id, promised_by=promised_by.isoformat())
    return record


def _end_claim(need: Need, status: ClaimStatus, reason: str) -> None:
    db.session.execute(
        sa.update(Claim).where(Claim.need_id == need.id, Claim.status == ClaimStatus.ACTIVE)
        .values(status=status, ended_at=utcnow(), end_reason=reason)
    )


def release(need: Need, *, actor: User, reason: str = "") -> None:
    """Claimed → published again, by the claiming organisation or by staff."""
    if actor.role in (Role.STAFF, Role.ADMIN):
        _staff(actor, need)
    else:
        _member_of_claimer(actor, need)
    _move(need, (NeedStatus.CLAIMED,), {"status": NeedStatus.PUBLISHED, "claimed_by_id": None, "promised_by": None},
          _l("only a claimed need that is not yet delivered can be released"))
    _end_claim(need, ClaimStatus.RELEASED, reason.strip())
    _record("need.release", need, actor, "claimed", reason=reason.strip())


def reassign(need: Need, *, actor: User, organisation: Organisation, promised_by: date) -> Claim:
    """Staff move a claimed need to another approved organisation."""
    _staff(actor, need)
    try:
        ensure_may_act(organisation)
    except OrganisationError as exc:
        raise TransitionError(str(exc)) from exc
    if organisation.id == need.claimed_by_id:
        raise TransitionError(_l("this organisation already holds the claim"))
    if not clock.today() <= promised_by <= need.fulfil_by:
        raise TransitionError(_l("promise a date between today and %(date)s", date=need.fulfil_by.isoformat()))
    previous = need.claimed_by_id
    _move(need, (NeedStatus.CLAIMED,), {"claimed_by_id": organisation.id, "promised_by": promised_by},
          _l("only a claimed need can be reassigned"))
    _end_claim(need, ClaimStatus.REVOKED, f"reassigned by {actor.email}")
    record = Claim(organisation_id=organisation.id, promised_by=promised_by, created_by_id=actor.id)
    need.claims.append(record)
    db.session.flush()
    _record("need.reassign", need, actor, "claimed", from_organisation=previous, organisation_id=organisation.id)
    return record


def add_evidence(need: Need, *, actor: User, kind: str, note: str = "", stored: Any = None) -> Evidence:
    """The claiming organisation adds a photo, receipt or note while the need is claimed or delivered."""
    _member_of_claimer(actor, need)
    if need.status not in (NeedStatus.CLAIMED, NeedStatus.DELIVERED):
        raise TransitionError(_l("evidence can be added only while the need is claimed or delivered"))
    if kind == "note" and not note.strip():
        raise TransitionError(_l("write the note"))
    claim_row = need.active_claim
    item = Evidence(need_id=need.id, claim_id=claim_row.id if claim_row else None, kind=kind, note=note.strip(),
                    created_by_id=actor.id)
    if stored is not None:
        item.file_key, item.content_type, item.size_bytes = stored.key, stored.content_type, stored.size
    need.evidence.append(item)
    db.session.flush()
    audit.record("need.evidence", actor=actor, obj=need, region_code=need.region_code,
                 after={"evidence_id": item.id, "kind": kind})
    return item


def deliver(need: Need, *, actor: User) -> None:
    """Claimed → delivered, once the claim has at least one photo or receipt."""
    _member_of_claimer(actor, need)
    proofs = sa.select(sa.func.count()).select_from(Evidence).join(Claim, Evidence.claim_id == Claim.id).where(
        Evidence.need_id == need.id, Claim.status == ClaimStatus.ACTIVE, Evidence.kind.in_(("photo", "receipt"))
    )
    if not db.session.scalar(proofs):
        raise TransitionError(_l("add a photo or a receipt before marking the need delivered"))
    _move(need, (NeedStatus.CLAIMED,), {"status": NeedStatus.DELIVERED, "delivered_at": utcnow()},
          _l("only a claimed need can be marked delivered"))
    _record("need.deliver", need, actor, "claimed")


def _close(need: Need, *, via: str, actor: Any, rating: int, feedback: str, extra: dict[str, Any]) -> None:
    if not 1 <= rating <= 5:
        raise TransitionError(_l("choose a rating from 1 to 5"))
    _move(need, (NeedStatus.DELIVERED,),
          {"status": NeedStatus.CLOSED, "closed_at": utcnow(), "confirmed_via": via, "rating": rating,
           "feedback": feedback.strip()[:2000], "confirmed_by_id": getattr(actor, "id", None),
           "recipient_code_hash": None, **extra},
          _l("only a delivered need can be confirmed"))
    _end_claim(need, ClaimStatus.COMPLETED, "")
    _record("need.confirm", need, actor, "delivered", via=via, rating=rating)


def confirm_by_caseworker(need: Need, *, actor: User, rating: int, feedback: str) -> None:
    """Delivered → closed, after the caseworker's visit."""
    _staff(actor, need)
    _close(need, via="caseworker", actor=actor, rating=rating, feedback=feedback, extra={})


def reject(need: Need, *, actor: User, reason: str) -> None:
    """Delivered → claimed again, with the reason the organisation must act on."""
    _staff(actor, need)
    if not (reason or "").strip():
        raise TransitionError(_l("a rejection needs a reason"))
    _move(need, (NeedStatus.DELIVERED,), {"status": NeedStatus.CLAIMED, "delivered_at": None,
                                           "last_reason": reason.strip()},
          _l("only a delivered need can be rejected"))
    _record("need.reject", need, actor, "delivered", reason=reason.strip())


def _code_hash(code: str) -> str:
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, b"recipient:" + code.encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, as people type printed codes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue_recipient_code(need: Need, *, actor: User) -> str:
    """A new one-time code for the recipient's slip; only its keyed hash is kept."""
    _staff(actor, need)
    if need.status not in OPEN_STATUSES:
        raise TransitionError(_l("a confirmation code is for an open need"))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    need.recipient_code_hash = _code_hash(code)
    audit.record("need.recipient_code", actor=actor, obj=need, region_code=need.region_code)
    return f"{code[:5]}-{code[5:]}"


def confirm_by_recipient(code: str, *, rating: int, feedback: str) -> Need:
    """The recipient confirms with the printed code: delivered → closed. The code then dies."""
    digest = _code_hash(normalise_code(code))
    need = db.session.scalar(sa.select(Need).where(Need.recipient_code_hash == digest))
    if need is None:
        raise TransitionError(_l("This code is not valid. Check it against your slip."))
    if need.status != NeedStatus.DELIVERED:
        raise TransitionError(_l("The helper has not marked this need delivered yet. Try again after delivery."))
    _close(need, via="recipient", actor=None, rating=rating, feedback=feedback, extra={})
    return need


def expire_overdue(today: date) -> int:
    """Published needs past their claim deadline become expired, each with its audit record.

    Set-based (two statements whatever the number of needs), for the scheduler and the CLI.
    """
    now = utcnow()
    overdue = sa.and_(Need.status == NeedStatus.PUBLISHED, Need.claim_deadline < today)
    columns = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "ip"]
    rows = sa.select(
        sa.literal(now, UTCDateTime), sa.literal("system"), sa.literal("need.expire"), sa.literal("needs"),
        sa.cast(Need.id, sa.String), sa.func.coalesce(Need.street_code, Need.district_code), sa.literal(""),
    ).where(overdue)
    db.session.execute(sa.insert(AuditEvent.__table__).from_select(columns, rows))
    changes.touch_many(db.session.scalars(sa.select(Need.referral_id).where(overdue).distinct()))
    result = db.session.execute(
        sa.update(Need).where(overdue).values(status=NeedStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
