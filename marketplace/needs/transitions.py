"""Every state change of a need (DESIGN.md §4): one function each, atomic, checked, audited.

`MOVES` is the one table of which state allows which action; `allowed()` tells a page what a user
may do by the same table and the same checks of who may act, so the page offers exactly what the
functions below accept. Each function checks who may act, then moves with the table's conditional
UPDATE (state.py: two people acting at once cannot both succeed), writes the audit log and only
flushes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace import clock, state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.changes import stamp as changes
from marketplace.db import UTCDateTime
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.needs import privacy, signals
from marketplace.needs.models import (
    OPEN_STATUSES,
    PROOF_KINDS,
    Claim,
    ClaimStatus,
    ConfirmedVia,
    Evidence,
    EvidenceKind,
    Need,
    NeedKind,
    NeedStatus,
)
from marketplace.notifications import service as notices
from marketplace.organisations.models import Organisation
from marketplace.organisations.service import OrganisationError, ensure_may_act
from marketplace.settings import service as settings

# A code a person can read aloud and type: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class TransitionError(DomainError):
    """The change is not allowed now; the message says why, in the reader's language."""


class NeedAction(StrEnum):
    """What can be done to a need; a page asks `allowed(need, user).claim` and so on."""

    PUBLISH = "publish"
    CANCEL = "cancel"
    REPLAN = "replan"
    CLAIM = "claim"
    RELEASE = "release"
    REASSIGN = "reassign"
    ADD_EVIDENCE = "add_evidence"
    DELIVER = "deliver"
    CONFIRM = "confirm"
    REJECT = "reject"
    ISSUE_CODE = "issue_code"
    EDIT = "edit"  # the public title and story, whenever they are shown (a leak found later is fixed)
    EXPIRE = "expire"  # the scheduler's, never a person's
    # Taken through transfers/service.py, which checks who and offers them on its own pages.
    TRANSFER = "transfer"  # handed to a government department: back to a held draft
    TRANSFER_TAKEN = "transfer_taken"  # the department took it over: the need ends here
    TRANSFER_RETURNED = "transfer_returned"  # the department sent it back: a draft staff may publish


_S = NeedStatus
MOVES: state.Moves[NeedAction, NeedStatus] = state.Moves(Need.status, {
    NeedAction.PUBLISH: ((_S.DRAFT,), _S.PUBLISHED),
    NeedAction.CANCEL: ((_S.DRAFT, _S.PUBLISHED, _S.EXPIRED), _S.CANCELLED),
    NeedAction.REPLAN: ((_S.EXPIRED,), _S.PUBLISHED),
    NeedAction.CLAIM: ((_S.PUBLISHED,), _S.CLAIMED),
    NeedAction.RELEASE: ((_S.CLAIMED,), _S.PUBLISHED),
    NeedAction.REASSIGN: ((_S.CLAIMED,), None),
    NeedAction.ADD_EVIDENCE: ((_S.CLAIMED, _S.DELIVERED), None),
    NeedAction.DELIVER: ((_S.CLAIMED,), _S.DELIVERED),
    NeedAction.CONFIRM: ((_S.DELIVERED,), _S.CLOSED),
    NeedAction.REJECT: ((_S.DELIVERED,), _S.CLAIMED),
    NeedAction.ISSUE_CODE: (OPEN_STATUSES, None),
    NeedAction.EDIT: ((_S.DRAFT, _S.PUBLISHED, _S.CLAIMED, _S.DELIVERED, _S.CLOSED, _S.EXPIRED), None),
    NeedAction.EXPIRE: ((_S.PUBLISHED,), _S.EXPIRED),
    NeedAction.TRANSFER: ((_S.DRAFT, _S.PUBLISHED, _S.EXPIRED), _S.DRAFT),
    NeedAction.TRANSFER_TAKEN: ((_S.DRAFT,), _S.CANCELLED),
    NeedAction.TRANSFER_RETURNED: ((_S.DRAFT,), None),
})

# Who may take each action: staff of the need's region, the claiming organisation's members, or
# the members of any approved organisation (a claim).
BY_STAFF = frozenset({NeedAction.PUBLISH, NeedAction.CANCEL, NeedAction.REPLAN, NeedAction.RELEASE,
                      NeedAction.REASSIGN, NeedAction.CONFIRM, NeedAction.REJECT, NeedAction.ISSUE_CODE,
                      NeedAction.EDIT})
BY_CLAIMER = frozenset({NeedAction.RELEASE, NeedAction.ADD_EVIDENCE, NeedAction.DELIVER})
BY_ANY_MEMBER = frozenset({NeedAction.CLAIM})



def _claimer_org(user: Any, need: Need) -> Organisation | None:
    """The user's organisation when it holds the need whole, or an active part of it."""
    org = user.organisation if user.role == Role.ORG_MEMBER else None
    if org is None:
        return None
    return org if need.claimed_by_id == org.id or need.part_of(org.id) is not None else None


def _who(action: NeedAction, user: Any, need: Need) -> bool:
    """Whether the user is one of those who take this action on this need (whatever its state)."""
    return ((action in BY_STAFF and covers(user, need))
            or (action in BY_CLAIMER and _claimer_org(user, need) is not None)
            or (action in BY_ANY_MEMBER and user.role == Role.ORG_MEMBER))


def _authorise(action: NeedAction, actor: Any, need: Need) -> None:
    if not _who(action, actor, need):
        raise PermissionError(f"{action} is not for this account")


def _offered(need: Need) -> frozenset[NeedAction]:
    """What the need's state allows now: the table, and no claim once the claim deadline has passed."""
    offered = MOVES.offered(need.status)
    if need.claim_deadline < clock.today():
        offered -= {NeedAction.CLAIM}
    return offered


def _has_proof(need: Need, part: Claim | None = None) -> bool:
    """A photo or receipt of the active claim (of `part`, when the need is held in parts)."""
    proofs = sa.select(sa.func.count()).select_from(Evidence).join(Claim, Evidence.claim_id == Claim.id).where(
        Evidence.need_id == need.id, Claim.status == ClaimStatus.ACTIVE, Evidence.kind.in_(PROOF_KINDS)
    )
    if part is not None:
        proofs = proofs.where(Claim.id == part.id)
    return bool(db.session.scalar(proofs))


def _not_ready(action: NeedAction, need: Need) -> Any:
    """What about the need itself stops the action now: the refusal's message, or None."""
    if need.transfer_open and action in (NeedAction.PUBLISH, NeedAction.CANCEL):
        return _l("this need is with a government department: record its answer first")
    if action == NeedAction.PUBLISH:
        if need.kind == NeedKind.WISH and need.value_fen > settings.get("wish_cap_fen"):
            return _l("this micro-wish is worth more than the current cap")
        if need.claim_deadline < clock.today():
            return _l("the claim deadline has passed: set new dates first")
    if action == NeedAction.DELIVER and not _has_proof(need):
        return _l("add a photo or a receipt before marking the need delivered")
    return None


def _refuse_unready(action: NeedAction, need: Need) -> None:
    message = _not_ready(action, need)
    if message is not None:
        raise TransitionError(message)


@state.answers(Need)
def allowed(need: Need, user: Any) -> state.Allowed[NeedAction]:
    """What `user` may do to `need` now (a claim also needs an approved organisation)."""
    offered = _offered(need)
    actions = {action for action in offered if _who(action, user, need)}
    if NeedAction.CLAIM in actions and not (user.organisation and user.organisation.is_approved):
        actions.discard(NeedAction.CLAIM)
    if need.claimed_quantity and need.status == NeedStatus.PUBLISHED:
        actions.discard(NeedAction.CANCEL)  # parts are held: they are released first
    why = {action: message for action in actions if (message := _not_ready(action, need)) is not None}
    if need.is_split:
        own = need.part_of(user.organisation_id) if user.role == Role.ORG_MEMBER else None
        if own is not None:
            actions.discard(NeedAction.CLAIM)  # one part per organisation at a time
        actions -= {NeedAction.RELEASE, NeedAction.ADD_EVIDENCE, NeedAction.DELIVER, NeedAction.REASSIGN,
                    NeedAction.CONFIRM, NeedAction.REJECT}
        why.pop(NeedAction.DELIVER, None)
        actions |= _part_actions(need, user, own)
        if own is not None and own.delivered_at is None and not _has_proof(need, own):
            why[NeedAction.DELIVER] = _l("add a photo or a receipt before marking the need delivered")
    return state.Allowed(NeedAction, actions, offered, why)


def _part_actions(need: Need, user: Any, own: Claim | None) -> set[NeedAction]:
    """What a user may do to the parts of a need held in parts: its own part's moves for a claimer,
    confirming and rejecting delivered parts and releasing open ones for the region's staff."""
    actions: set[NeedAction] = set()
    if own is not None:
        actions.add(NeedAction.ADD_EVIDENCE)
        if own.delivered_at is None:
            actions |= {NeedAction.RELEASE, NeedAction.DELIVER}
    if covers(user, need):
        active = [p for p in need.parts if p.is_active]
        if any(p.delivered_at is not None for p in active):
            actions |= {NeedAction.CONFIRM, NeedAction.REJECT}
        if any(p.delivered_at is None for p in active):
            actions.add(NeedAction.RELEASE)
    return actions


def _move(need: Need, action: NeedAction, values: dict[str, Any], message: Any) -> None:
    """Take the action's move only if the need is still in a state the table allows (one winner)."""
    MOVES.take(need, action, {"updated_at": clock.now(), **values}, TransitionError(message))
    changes.touch(need.referral_id)  # the referral's status object changed: into the API's feed
    signals.need_moved.send(need)


def _record(action: str, need: Need, actor: Any, before: str, **after: Any) -> None:
    audit.record(action, actor=actor, obj=need, region_code=need.region_code,
                 before={"status": before}, after={"status": need.status, **after})


def _notify(org_id: int | None, kind: str, need: Need, **params: Any) -> None:
    """Tell an organisation's members of a move of this need (notifications/kinds.py has the words)."""
    notices.notify_organisation(org_id, kind, "needs", need.id, {"title": need.title, **params})


def publish(need: Need, *, actor: User) -> None:
    """Draft → published; the wish cap and the story guard are checked again (both may have changed)."""
    _authorise(NeedAction.PUBLISH, actor, need)
    _refuse_unready(NeedAction.PUBLISH, need)
    privacy.refuse_leaks(need.household, title=need.title, story=need.story)
    _move(need, NeedAction.PUBLISH, {"published_at": clock.now()}, _l("only a draft can be published"))
    _record("need.publish", need, actor, NeedStatus.DRAFT)


def cancel(need: Need, *, actor: User, reason: str) -> None:
    """Draft, published or expired → cancelled, with a reason."""
    _authorise(NeedAction.CANCEL, actor, need)
    if not (reason or "").strip():
        raise TransitionError(_l("a cancellation needs a reason"))
    before = need.status
    if need.claimed_quantity:
        raise TransitionError(_l("a claimed need cannot be cancelled: release or reassign the claim first"))
    _move(need, NeedAction.CANCEL, {"last_reason": reason.strip()},
          _l("a claimed need cannot be cancelled: release or reassign the claim first"))
    _record("need.cancel", need, actor, before, reason=reason.strip())


def replan(need: Need, *, actor: User, claim_deadline: date, fulfil_by: date) -> None:
    """Expired → published again with new dates (staff re-plan a need nobody claimed)."""
    _authorise(NeedAction.REPLAN, actor, need)
    if claim_deadline < clock.today() or fulfil_by < claim_deadline:
        raise TransitionError(_l("choose a future claim deadline and a fulfil-by date after it"))
    privacy.refuse_leaks(need.household, title=need.title, story=need.story)
    _move(need, NeedAction.REPLAN, {"published_at": clock.now(), "claim_deadline": claim_deadline,
                                    "fulfil_by": fulfil_by},
          _l("only an expired need can be re-planned"))
    _record("need.replan", need, actor, NeedStatus.EXPIRED, claim_deadline=claim_deadline.isoformat())


def rewrite(need: Need, *, actor: User, title: str, story: str) -> None:
    """Staff rewrite the public title and story; audited by which changed, never with the texts."""
    _authorise(NeedAction.EDIT, actor, need)
    if not MOVES.allows(NeedAction.EDIT, need.status):
        raise TransitionError(_l("a cancelled need is shown to no one: there is nothing to rewrite"))
    title, story = (title or "").strip()[:100], (story or "").strip()[:2000]
    if not title or len(story) < 10:
        raise TransitionError(_l("write a title and a story of at least 10 characters"))
    privacy.refuse_leaks(need.household, title=title, story=story)
    changed = {"title_rewritten": need.title != title, "story_rewritten": need.story != story}
    need.title, need.story, need.updated_at = title, story, clock.now()
    db.session.flush()
    # The old text may be the leak being fixed: the audit says what changed, not what it said.
    audit.record("need.rewrite", actor=actor, obj=need, region_code=need.region_code, after=changed)


def claim(need: Need, *, actor: User, promised_by: date, quantity: int | None = None) -> Claim:
    """The actor's approved organisation takes the need whole, or `quantity` of it as one part.

    `quantity` defaults to what is left. Taken whole: published → claimed, exactly one claimant
    wins. A part: one conditional UPDATE adds its quantity to what the parts hold only while it
    fits, so parts never add up to more than the need's quantity; the need is claimed once they
    cover it.
    """
    if actor.role != Role.ORG_MEMBER or actor.organisation is None:
        raise PermissionError("only organisation members claim")
    org = actor.organisation
    try:
        ensure_may_act(org)
    except OrganisationError as exc:
        raise TransitionError(str(exc)) from exc
    today = clock.today()
    if not today <= promised_by <= need.fulfil_by:
        raise TransitionError(_l("promise a date between today and %(date)s", date=need.fulfil_by.isoformat()))
    if MOVES.allows(NeedAction.CLAIM, need.status) and NeedAction.CLAIM not in _offered(need):
        raise TransitionError(_l("the claim deadline of this need has passed"))
    if need.part_of(org.id) is not None:
        raise TransitionError(_l("your organisation already holds a part of this need"))
    wanted = need.left if quantity is None else quantity
    if quantity is not None and not 1 <= quantity <= need.quantity:
        raise TransitionError(_l("choose a quantity from 1 to %(left)s", left=max(need.left, 1)))
    if wanted < 1:  # nothing left as we read it: the move below refuses as a lost race
        wanted = need.quantity
    whole = wanted == need.quantity
    after = Need.claimed_quantity + wanted
    values: dict[str, Any] = {
        "claimed_quantity": after, "updated_at": clock.now(),
        Need.status.key: sa.case((after == Need.quantity, NeedStatus.CLAIMED), else_=NeedStatus.PUBLISHED),
    }
    if whole:  # a reason staff gave an earlier claimer belongs to that claim: the new claimer starts clean
        values.update(claimed_by_id=org.id, promised_by=promised_by, last_reason="")
    if not state.move(need, Need.status == NeedStatus.PUBLISHED, after <= Need.quantity, values=values):
        if need.status in (NeedStatus.CLAIMED, NeedStatus.DELIVERED, NeedStatus.CLOSED):
            raise TransitionError(_l("Sorry, this need was just taken by another organisation."))
        if need.status == NeedStatus.PUBLISHED and need.left < wanted:
            raise TransitionError(_l("Sorry, only %(left)s of %(quantity)s are left: claim %(left)s or fewer.",
                                     left=need.left, quantity=need.quantity))
        raise TransitionError(_l("this need is not open for claims"))
    record = Claim(organisation_id=org.id, promised_by=promised_by, created_by_id=actor.id, quantity=wanted)
    try:
        with db.session.begin_nested():  # the one-part-per-organisation index: a double post loses here
            need.claims.append(record)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise TransitionError(_l("your organisation already holds a part of this need")) from None
    _sync_split(need)
    _moved(need)
    extra = {} if whole else {"quantity": wanted}
    _record("need.claim", need, actor, NeedStatus.PUBLISHED, organisation_id=org.id,
            promised_by=promised_by.isoformat(), **extra)
    return record


def _moved(need: Need) -> None:
    """What every move of a need tells: the referral's feed, and the listeners (its light)."""
    changes.touch(need.referral_id)
    signals.need_moved.send(need)


def _sync_split(need: Need) -> None:
    """A need held in parts shows the earliest promise of its open parts, and no single claimer."""
    if not need.is_split:
        return
    open_parts = [p for p in need.parts if p.is_active]
    need.claimed_by_id = None
    need.promised_by = min((p.promised_by for p in open_parts), default=None)
    db.session.flush()


def _lock(need: Need) -> None:
    """Hold the need's row for the rest of the unit, so two part moves of one need queue.

    A part moves on its own claim row, but what the need becomes (delivered once every part is,
    closed once every part is confirmed) depends on its sibling parts: two staff confirming two
    parts at once must not each see the other's part still open. On PostgreSQL the UPDATE takes
    the row lock (the second waits, then reads what the first committed); SQLite writers already
    queue on the write lock.
    """
    db.session.execute(sa.update(Need).where(Need.id == need.id).values(updated_at=clock.now())
                       .execution_options(synchronize_session=False))
    db.session.refresh(need)
    for part in need.claims:
        db.session.refresh(part)


def _part(need: Need, actor: Any, part: Claim | None, *, delivered: bool | None) -> Claim:
    """The part a move is for: the claimer's own, or the one staff chose (the only fitting one if
    they chose none); `delivered` says whether it must be awaiting confirmation (None: either)."""
    if part is None:
        own = need.part_of(actor.organisation_id) if getattr(actor, "role", None) == Role.ORG_MEMBER else None
        fitting = [p for p in need.parts if p.is_active
                   and (delivered is None or (p.delivered_at is not None) == delivered)]
        part = own or (fitting[0] if len(fitting) == 1 else None)
    if part is None or part.need_id != need.id:
        raise TransitionError(_l("choose which part of the need"))
    if not part.is_active or (delivered is not None and (part.delivered_at is not None) != delivered):
        raise TransitionError(_l("this part has moved on: reload the page"))
    return part


def _settle(need: Need, actor: Any, before: str) -> None:
    """After a part moved, the need takes the state its parts add up to (the need row is locked)."""
    open_parts = [p for p in need.parts if p.is_active]
    # Past its claim deadline nobody else may take the rest: the parts taken are all it will get.
    covered = need.claimed_quantity >= need.quantity or (
        need.claimed_quantity > 0 and need.claim_deadline is not None and need.claim_deadline < clock.today())
    if covered and not open_parts:
        target = NeedStatus.CLOSED
    elif covered and all(p.delivered_at is not None for p in open_parts):
        target = NeedStatus.DELIVERED
    elif covered:
        target = NeedStatus.CLAIMED
    else:
        target = NeedStatus.PUBLISHED
    values: dict[str, Any] = {"status": target, "updated_at": clock.now()}
    if target == NeedStatus.DELIVERED and need.status != NeedStatus.DELIVERED:
        values["delivered_at"] = clock.now()
    elif target in (NeedStatus.CLAIMED, NeedStatus.PUBLISHED):
        values["delivered_at"] = None
    if target == NeedStatus.CLOSED:
        values.update(closed_at=clock.now(), recipient_code_hash=None)
    state.move(need, Need.id == need.id, values=values)
    _sync_split(need)
    _moved(need)
    if target != before:
        audit.record("need.parts_settle", actor=actor, obj=need, region_code=need.region_code,
                     before={"status": before}, after={"status": target})


def _end_claim(need: Need, status: ClaimStatus, reason: str, **values: Any) -> None:
    """The need's active claim ends (its need has just moved on, so no one else can end it)."""
    active = db.session.scalar(sa.select(Claim).where(Claim.need_id == need.id, Claim.status == ClaimStatus.ACTIVE))
    if active is not None:
        state.move(active, Claim.status == ClaimStatus.ACTIVE,
                   values={"status": status, "ended_at": clock.now(), "end_reason": reason, **values})


def release(need: Need, *, actor: User, reason: str = "", part: Claim | None = None) -> None:
    """Claimed → published again, by the claiming organisation or by staff; a part of a need held in
    parts is released alone and its quantity goes back to what is left."""
    if need.is_split:
        _release_part(need, actor=actor, reason=reason, part=part)
        return
    _authorise(NeedAction.RELEASE, actor, need)
    claimer, by_claimer = need.claimed_by_id, _claimer_org(actor, need) is not None
    _move(need, NeedAction.RELEASE, {"claimed_by_id": None, "promised_by": None, "claimed_quantity": 0},
          _l("only a claimed need that is not yet delivered can be released"))
    _end_claim(need, ClaimStatus.RELEASED, reason.strip())
    _record("need.release", need, actor, NeedStatus.CLAIMED, reason=reason.strip())
    if not by_claimer:  # staff released it: the claimer hears why
        _notify(claimer, "claim_released", need, reason=reason.strip())


def _release_part(need: Need, *, actor: User, reason: str, part: Claim | None) -> None:
    _lock(need)
    part = _part(need, actor, part, delivered=False)
    by_claimer = getattr(actor, "role", None) == Role.ORG_MEMBER and part.organisation_id == actor.organisation_id
    if not (by_claimer or covers(actor, need)):
        raise PermissionError("release is not for this account")
    before = need.status
    if not state.move(part, Claim.status == ClaimStatus.ACTIVE, Claim.delivered_at.is_(None),
                      values={"status": ClaimStatus.RELEASED, "ended_at": clock.now(), "end_reason": reason.strip()}):
        raise TransitionError(_l("only a claimed need that is not yet delivered can be released"))
    state.move(need, Need.id == need.id, values={"claimed_quantity": Need.claimed_quantity - part.quantity})
    _settle(need, actor, before)
    audit.record("need.release", actor=actor, obj=need, region_code=need.region_code, before={"status": before},
                 after={"status": need.status, "reason": reason.strip(), "quantity": part.quantity,
                        "organisation_id": part.organisation_id})
    if not by_claimer:
        _notify(part.organisation_id, "claim_released", need, reason=reason.strip())


def reassign(need: Need, *, actor: User, organisation: Organisation, promised_by: date) -> Claim:
    """Staff move a claimed need to another approved organisation."""
    _authorise(NeedAction.REASSIGN, actor, need)
    if need.is_split:
        raise TransitionError(_l("a need held in parts is not reassigned: release the part, and another "
                                 "organisation can claim it"))
    try:
        ensure_may_act(organisation)
    except OrganisationError as exc:
        raise TransitionError(str(exc)) from exc
    if organisation.id == need.claimed_by_id:
        raise TransitionError(_l("this organisation already holds the claim"))
    if not clock.today() <= promised_by <= need.fulfil_by:
        raise TransitionError(_l("promise a date between today and %(date)s", date=need.fulfil_by.isoformat()))
    previous = need.claimed_by_id
    _move(need, NeedAction.REASSIGN, {"claimed_by_id": organisation.id, "promised_by": promised_by,
                                      "last_reason": ""},
          _l("only a claimed need can be reassigned"))
    _end_claim(need, ClaimStatus.REVOKED, f"reassigned by {actor.email}")
    record = Claim(organisation_id=organisation.id, promised_by=promised_by, created_by_id=actor.id,
                   quantity=need.quantity)
    need.claims.append(record)
    db.session.flush()
    _record("need.reassign", need, actor, NeedStatus.CLAIMED, from_organisation=previous,
            organisation_id=organisation.id)
    _notify(previous, "claim_reassigned", need)
    _notify(organisation.id, "claim_assigned", need, date=promised_by.isoformat())
    return record


def add_evidence(need: Need, *, actor: User, kind: str, note: str = "", stored: Any = None) -> Evidence:
    """The claiming organisation adds a photo, receipt or note while the need is claimed or delivered."""
    _authorise(NeedAction.ADD_EVIDENCE, actor, need)
    own = need.part_of(actor.organisation_id) if need.is_split else None
    if not (own is not None or (not need.is_split and MOVES.allows(NeedAction.ADD_EVIDENCE, need.status))):
        raise TransitionError(_l("evidence can be added only while the need is claimed or delivered"))
    if kind == EvidenceKind.NOTE and not note.strip():
        raise TransitionError(_l("write the note"))
    claim_row = own or need.active_claim
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
    """Claimed → delivered, once the claim has at least one photo or receipt (a part: the actor's
    part is delivered; the need is delivered once the parts cover it and every one is)."""
    _authorise(NeedAction.DELIVER, actor, need)
    if need.is_split:
        _deliver_part(need, actor=actor)
        return
    _refuse_unready(NeedAction.DELIVER, need)
    _move(need, NeedAction.DELIVER, {"delivered_at": clock.now()}, _l("only a claimed need can be marked delivered"))
    if need.active_claim is not None:
        state.move(need.active_claim, Claim.status == ClaimStatus.ACTIVE, values={"delivered_at": need.delivered_at})
    _record("need.deliver", need, actor, NeedStatus.CLAIMED)
    claimer = need.claimed_by
    notices.notify_region_staff(need.district_code, need.street_code, "delivery_awaiting", "needs", need.id,
                                {"title": need.title, "organisation": claimer.name if claimer else ""})


def _deliver_part(need: Need, *, actor: User) -> None:
    _lock(need)
    part = _part(need, actor, None, delivered=None)
    if part.delivered_at is not None:
        raise TransitionError(_l("only a claimed need can be marked delivered"))
    if not _has_proof(need, part):
        raise TransitionError(_l("add a photo or a receipt before marking the need delivered"))
    before = need.status
    if not state.move(part, Claim.status == ClaimStatus.ACTIVE, Claim.delivered_at.is_(None),
                      values={"delivered_at": clock.now()}):
        raise TransitionError(_l("only a claimed need can be marked delivered"))
    _settle(need, actor, before)
    audit.record("need.deliver", actor=actor, obj=need, region_code=need.region_code, before={"status": before},
                 after={"status": need.status, "quantity": part.quantity, "organisation_id": part.organisation_id})
    notices.notify_region_staff(need.district_code, need.street_code, "delivery_awaiting", "needs", need.id,
                                {"title": need.title, "organisation": part.organisation.name})


def _close_part(need: Need, *, via: ConfirmedVia, actor: Any, rating: int, feedback: str,
                part: Claim | None) -> None:
    """One part's delivery confirmed: the part is completed; the need closes with its last part."""
    if not 1 <= rating <= 5:
        raise TransitionError(_l("choose a rating from 1 to 5"))
    _lock(need)
    part = _part(need, actor, part, delivered=True)
    before = need.status
    if not state.move(part, Claim.status == ClaimStatus.ACTIVE, Claim.delivered_at.is_not(None),
                      values={"status": ClaimStatus.COMPLETED, "ended_at": clock.now(), "confirmed_via": via}):
        raise TransitionError(_l("only a delivered need can be confirmed"))
    # The need keeps the latest confirmation's rating and words; each part's confirmation is audited.
    state.move(need, Need.id == need.id, values={
        "rating": rating, "feedback": feedback.strip()[:2000], "confirmed_via": via,
        "confirmed_by_id": getattr(actor, "id", None),
        **({"recipient_code_hash": None} if via == ConfirmedVia.RECIPIENT else {})})
    _settle(need, actor, before)
    audit.record("need.confirm", actor=actor, obj=need, region_code=need.region_code, before={"status": before},
                 after={"status": need.status, "via": via, "rating": rating, "quantity": part.quantity,
                        "organisation_id": part.organisation_id})
    _notify(part.organisation_id, "delivery_confirmed", need)


def _close(need: Need, *, via: ConfirmedVia, actor: Any, rating: int, feedback: str,
           part: Claim | None = None) -> None:
    if need.is_split:
        _close_part(need, via=via, actor=actor, rating=rating, feedback=feedback, part=part)
        return
    if not 1 <= rating <= 5:
        raise TransitionError(_l("choose a rating from 1 to 5"))
    _move(need, NeedAction.CONFIRM,
          {"closed_at": clock.now(), "confirmed_via": via, "rating": rating, "feedback": feedback.strip()[:2000],
           "confirmed_by_id": getattr(actor, "id", None), "recipient_code_hash": None},
          _l("only a delivered need can be confirmed"))
    _end_claim(need, ClaimStatus.COMPLETED, "", confirmed_via=via)
    _record("need.confirm", need, actor, NeedStatus.DELIVERED, via=via, rating=rating)
    _notify(need.claimed_by_id, "delivery_confirmed", need)


def confirm_by_caseworker(need: Need, *, actor: User, rating: int, feedback: str, part: Claim | None = None) -> None:
    """Delivered → closed, after the caseworker's visit (a need held in parts: `part`, or the one
    part awaiting confirmation; the need closes with its last part)."""
    _authorise(NeedAction.CONFIRM, actor, need)
    _close(need, via=ConfirmedVia.CASEWORKER, actor=actor, rating=rating, feedback=feedback, part=part)


def reject(need: Need, *, actor: User, reason: str, part: Claim | None = None) -> None:
    """Delivered → claimed again, with the reason the organisation must act on."""
    _authorise(NeedAction.REJECT, actor, need)
    if not (reason or "").strip():
        raise TransitionError(_l("a rejection needs a reason"))
    privacy.refuse_leaks(need.household, reason=reason)  # the claiming organisation reads it
    if need.is_split:
        _lock(need)
        part = _part(need, actor, part, delivered=True)
        before = need.status
        if not state.move(part, Claim.status == ClaimStatus.ACTIVE, Claim.delivered_at.is_not(None),
                          values={"delivered_at": None}):
            raise TransitionError(_l("only a delivered need can be rejected"))
        state.move(need, Need.id == need.id, values={"last_reason": reason.strip()})
        _settle(need, actor, before)
        audit.record("need.reject", actor=actor, obj=need, region_code=need.region_code, before={"status": before},
                     after={"status": need.status, "reason": reason.strip(), "organisation_id": part.organisation_id})
        _notify(part.organisation_id, "delivery_rejected", need, reason=reason.strip())
        return
    _move(need, NeedAction.REJECT, {"delivered_at": None, "last_reason": reason.strip()},
          _l("only a delivered need can be rejected"))
    if need.active_claim is not None:
        state.move(need.active_claim, Claim.status == ClaimStatus.ACTIVE, values={"delivered_at": None})
    _record("need.reject", need, actor, NeedStatus.DELIVERED, reason=reason.strip())
    _notify(need.claimed_by_id, "delivery_rejected", need, reason=reason.strip())


def _code_hash(code: str) -> str:
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, b"recipient:" + code.encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, as people type printed codes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue_recipient_code(need: Need, *, actor: User) -> str:
    """A new one-time code for the recipient's slip; only its keyed hash is kept."""
    _authorise(NeedAction.ISSUE_CODE, actor, need)
    if not MOVES.allows(NeedAction.ISSUE_CODE, need.status):
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
    if need.is_split:
        # The code confirms the one part whose delivery awaits confirmation; with several awaiting,
        # the recipient cannot say which they received, so the caseworker confirms them.
        awaiting = [p for p in need.parts if p.is_active and p.delivered_at is not None]
        if not awaiting:
            raise TransitionError(_l("The helper has not marked this need delivered yet. Try again after delivery."))
        if len(awaiting) > 1:
            raise TransitionError(_l("Several deliveries of this need await confirmation: the caseworker will "
                                     "confirm them."))
        _close(need, via=ConfirmedVia.RECIPIENT, actor=None, rating=rating, feedback=feedback, part=awaiting[0])
        return need
    if not MOVES.allows(NeedAction.CONFIRM, need.status):
        raise TransitionError(_l("The helper has not marked this need delivered yet. Try again after delivery."))
    _close(need, via=ConfirmedVia.RECIPIENT, actor=None, rating=rating, feedback=feedback)
    return need


def close_renovation(need: Need, *, actor: User) -> None:
    """A renovation project's acceptance (竣工验收) closes its need: the project was the need's
    public face, its works the delivery and the acceptance the confirmation, so the referral's
    status and outcome follow as for any closed need."""
    if need.kind != NeedKind.RENOVATION:
        raise TransitionError(_l("only a renovation need closes with its project"))
    before = need.status
    if not state.move(need, Need.status.in_(OPEN_STATUSES + (NeedStatus.DRAFT,)),
                      values={"status": NeedStatus.CLOSED, "closed_at": clock.now(), "updated_at": clock.now(),
                              "confirmed_via": ConfirmedVia.CASEWORKER, "confirmed_by_id": actor.id,
                              "recipient_code_hash": None}):
        raise TransitionError(_l("this need is no longer open"))
    _moved(need)
    _record("need.project_accepted", need, actor, before)


def _record_many(action: str, where: Any, now: Any) -> None:
    """One audit row by the system for each need `where` selects, and their referrals' feed: one
    INSERT … SELECT and one stamp, whatever the number of needs (before the UPDATE that moves them)."""
    columns = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "ip"]
    rows = sa.select(
        sa.literal(now, UTCDateTime), sa.literal("system"), sa.literal(action), sa.literal("needs"),
        sa.cast(Need.id, sa.String), sa.func.coalesce(Need.street_code, Need.district_code), sa.literal(""),
    ).where(where)
    db.session.execute(sa.insert(AuditEvent.__table__).from_select(columns, rows))
    changes.touch_many(db.session.scalars(sa.select(Need.referral_id).where(where).distinct()))


def expire_overdue(today: date) -> int:
    """Published needs past their claim deadline become expired, each with its audit record.

    Set-based (two statements whatever the number of needs), for the scheduler and the CLI.
    """
    now = clock.now()
    expire = MOVES.table[NeedAction.EXPIRE]
    # A need partly held in parts keeps them: its organisations are at work (docs/parts.md).
    overdue = sa.and_(Need.status.in_(expire.sources), Need.claim_deadline < today, Need.claimed_quantity == 0)
    _record_many("need.expire", overdue, now)
    result = db.session.execute(
        sa.update(Need).where(overdue).values(status=expire.target, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def settle_overdue_parts(today: date) -> int:
    """Published needs held in part when their claim deadline passes stop waiting for the rest:
    each takes the state its parts add up to (claimed, delivered once every open part is, closed
    when none is open any more), with its audit record and the referral's feed.

    Set-based like `expire_overdue`, run beside it by the daily job (docs/parts.md).
    """
    now = clock.now()
    overdue = sa.and_(Need.status == NeedStatus.PUBLISHED, Need.claim_deadline < today, Need.claimed_quantity > 0)
    active = sa.exists().where(Claim.need_id == Need.id, Claim.status == ClaimStatus.ACTIVE)
    undelivered = sa.exists().where(Claim.need_id == Need.id, Claim.status == ClaimStatus.ACTIVE,
                                    Claim.delivered_at.is_(None))
    target = sa.case((~active, sa.literal(NeedStatus.CLOSED.value)),
                     (~undelivered, sa.literal(NeedStatus.DELIVERED.value)),
                     else_=sa.literal(NeedStatus.CLAIMED.value))
    _record_many("need.parts_settle", overdue, now)
    result = db.session.execute(
        sa.update(Need).where(overdue).values(
            status=target, updated_at=now,
            delivered_at=sa.case((sa.and_(active, ~undelivered), now), else_=Need.delivered_at),
            closed_at=sa.case((~active, now), else_=Need.closed_at),
            recipient_code_hash=sa.case((~active, sa.null()), else_=Need.recipient_code_hash),
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount


def hand_to_department(need: Need, *, actor: User, department: str) -> None:
    """Draft, published or expired → a held draft while a department has it (out of the public pool).

    The conditional UPDATE also requires no transfer open: of two staff transferring at once, one wins.
    """
    if not covers(actor, need):
        raise PermissionError("outside your region")
    before = need.status
    step = MOVES.table[NeedAction.TRANSFER]
    # Nobody holds a part of it either: an organisation that took some of it has promised them.
    won = state.move(need, Need.status.in_(step.sources), Need.transfer_open.is_(False), Need.claimed_quantity == 0,
                     values={"status": step.target, "transfer_open": True, "updated_at": clock.now()})
    if not won:
        raise TransitionError(_l("only a need nobody has claimed, and not already with a department, can be "
                                 "transferred"))
    changes.touch(need.referral_id)
    signals.need_moved.send(need)
    _record("need.transfer", need, actor, before, department=department)


def back_from_department(need: Need, *, actor: User, taken_over: bool, department: str) -> None:
    """The department answered: taken over (the need ends, cancelled with the department named) or
    returned (a draft again, which staff may publish or transfer elsewhere)."""
    if not covers(actor, need):
        raise PermissionError("outside your region")
    action = NeedAction.TRANSFER_TAKEN if taken_over else NeedAction.TRANSFER_RETURNED
    step = MOVES.table[action]
    values: dict[str, Any] = {"transfer_open": False, "updated_at": clock.now()}
    if step.target is not None:
        values |= {"status": step.target, "last_reason": str(_l("taken over by %(department)s",
                                                                department=department))}
    won = state.move(need, Need.status.in_(step.sources), Need.transfer_open.is_(True), values=values)
    if not won:
        raise TransitionError(_l("this need is not with a department"))
    changes.touch(need.referral_id)
    signals.need_moved.send(need)
    _record("need.transfer_end", need, actor, NeedStatus.DRAFT, department=department, taken_over=taken_over)
