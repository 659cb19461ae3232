"""Routed offers (定向派单): staff route a published need to one organisation, which accepts (the need
becomes its claim, through needs.transitions.claim) or declines with a coded reason by the deadline.

Statuses follow HL7 FHIR Task: requested → accepted | rejected | cancelled (by staff) | expired (the
`offers` job, set-based). Every move is one conditional UPDATE (state.move): of two answers at once
exactly one wins; at most one offer per need is requested (a partial unique index). Each step is
audited on the need (its history), touches the referral's change stamp (the API's `needs[].offer`)
and notifies (notifications/kinds.py: offer_routed, offer_expiring, offer_declined, offer_expired).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace import clock, state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers, region_filter
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.changes import stamp as changes
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.matching import fit, suggest
from marketplace.matching.models import DeclineReason, NeedDismissal, Offer, OfferStatus
from marketplace.matching.recommend import MatchError
from marketplace.needs import transitions
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.signals import need_moved
from marketplace.notifications import service as notices
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.settings import service as settings


class OfferError(MatchError):
    """An offer step that is not allowed now; the message says why."""


# --- lights ----------------------------------------------------------------------------------------

def light(offer: Offer, now: datetime) -> str | None:
    """An unanswered offer is green, then yellow, then red as it waits (settings, in hours); an
    answered one has no light."""
    if offer.status != OfferStatus.REQUESTED:
        return None
    waited = now - offer.created_at
    if waited >= timedelta(hours=settings.get("offer_red_hours")):
        return "red"
    if waited >= timedelta(hours=settings.get("offer_yellow_hours")):
        return "yellow"
    return "green"


# --- reading ---------------------------------------------------------------------------------------

def latest(need_id: int) -> Offer | None:
    """The need's latest offer (any status), or None."""
    return db.session.scalar(sa.select(Offer).where(Offer.need_id == need_id).order_by(Offer.id.desc()).limit(1))


def of_need(need_id: int) -> list[Offer]:
    """Every offer of a need, newest first."""
    return list(db.session.scalars(sa.select(Offer).where(Offer.need_id == need_id).order_by(Offer.id.desc())))


def open_for(org_id: int) -> list[Offer]:
    """The offers waiting for this organisation's answer, soonest due first."""
    return list(db.session.scalars(
        sa.select(Offer).where(Offer.organisation_id == org_id, Offer.status == OfferStatus.REQUESTED)
        .order_by(Offer.due_at, Offer.id)))


def unanswered_query(user: Any, now: datetime) -> sa.Select:
    """Offers in the user's region waiting past their yellow threshold, oldest first (the work queue)."""
    yellow = now - timedelta(hours=settings.get("offer_yellow_hours"))
    return (sa.select(Offer).join(Need, Need.id == Offer.need_id)
            .where(Offer.status == OfferStatus.REQUESTED, Offer.created_at <= yellow,
                   region_filter(user, Need.district_code, Need.street_code))
            .order_by(Offer.created_at, Offer.id))


WAITING_BEFORE_ROUTING = timedelta(days=1)


def to_route_query(user: Any, now: datetime) -> sa.Select:
    """Needs of the user's region to route: published a day or more ago, not (wholly) claimed, claim
    deadline ahead, no offer out; longest waiting first (the work queue). An organisation that was
    full, or a need nobody fitted when it was published, may find a taker now."""
    return (sa.select(Need)
            .where(Need.status == NeedStatus.PUBLISHED, Need.claimed_by_id.is_(None),
                   Need.claimed_quantity < Need.quantity, Need.claim_deadline >= clock.local(now).date(),
                   Need.published_at <= now - WAITING_BEFORE_ROUTING,
                   ~sa.exists().where(Offer.need_id == Need.id, Offer.status == OfferStatus.REQUESTED),
                   region_filter(user, Need.district_code, Need.street_code))
            .order_by(Need.published_at, Need.id))


def _member_of(actor: Any, offer: Offer) -> bool:
    return actor.role == Role.ORG_MEMBER and actor.organisation_id == offer.organisation_id


def may_answer(offer: Offer, actor: Any, now: datetime) -> bool:
    """Whether the page offers the accept/decline forms: the organisation's member, before the deadline."""
    return _member_of(actor, offer) and offer.status == OfferStatus.REQUESTED and offer.due_at > now


def may_cancel(offer: Offer, actor: Any) -> bool:
    """Whether staff of the need's region may cancel it now."""
    return offer.status == OfferStatus.REQUESTED and covers(actor, offer.need)


# --- steps -----------------------------------------------------------------------------------------

def _record(action: str, offer: Offer, actor: Any, before: str | None, **after: Any) -> None:
    need = offer.need
    audit.record(action, actor=actor, obj=need, region_code=need.region_code,
                 # the scheduler's own steps read "the system"; a request's are its signed-in user's
                 actor_label=None if actor is not None or has_request_context() else "system",
                 before={"offer_status": before} if before else None,
                 after={"offer_id": offer.id, "offer_status": offer.status, "organisation_id": offer.organisation_id,
                        **after})
    changes.touch(need.referral_id)


def routable(need: Need, now: datetime) -> bool:
    """Whether staff may route the need now: published, nobody's claim, its claim deadline ahead."""
    return (need.status == NeedStatus.PUBLISHED and need.claimed_by_id is None
            and need.claim_deadline >= clock.local(now).date())


def _refuse_unroutable(need: Need, org: Organisation | None, now: datetime) -> Organisation:
    if need.status != NeedStatus.PUBLISHED or need.claimed_by_id is not None:
        raise OfferError(_l("only a published need that nobody has claimed can be routed"))
    if not routable(need, now):
        raise OfferError(_l("the claim deadline of this need has passed: re-plan it first"))
    if org is None or org.status != OrgStatus.APPROVED:
        raise OfferError(_l("only an approved organisation can receive an offer"))
    if db.session.get(NeedDismissal, (org.id, need.id)) is not None:
        raise OfferError(_l("%(name)s said this need is not for them: choose another organisation",
                            name=org.name))
    if fit.room_left(org, now) is False:
        raise OfferError(_l("%(name)s is at full capacity: choose another organisation", name=org.name))
    return org


def _create(need: Need, org: Organisation, actor: User | None, now: datetime) -> Offer:
    """The offer row; the partial unique index makes a second requested offer of the need fail."""
    waiting = db.session.scalar(sa.select(Offer).where(Offer.need_id == need.id,
                                                       Offer.status == OfferStatus.REQUESTED))
    if waiting is not None:
        raise OfferError(_l("this need already waits for an answer from %(name)s: cancel that offer first",
                            name=waiting.organisation.name))
    offer = Offer(need_id=need.id, organisation_id=org.id, created_by_id=actor.id if actor else None,
                  created_at=now, due_at=now + timedelta(days=settings.get("offer_days")))
    try:
        with db.session.begin_nested():
            db.session.add(offer)
    except IntegrityError:  # another routing of this need won in the meantime
        raise OfferError(_l("this need was just routed to another organisation")) from None
    _record("offer.route", offer, actor, None, due=offer.due_at.isoformat())
    notices.notify_organisation(org.id, "offer_routed", "offers", offer.id,
                                {"title": need.title, "due": clock.local(offer.due_at).date().isoformat()})
    return offer


def route(need: Need, *, organisation: Organisation | None, actor: User, now: datetime | None = None) -> Offer:
    """Staff of the need's region route it to one organisation, which has `offer_days` to answer."""
    if not covers(actor, need):
        raise PermissionError("only staff covering the need route it")
    now = now or clock.now()
    org = _refuse_unroutable(need, organisation, now)
    return _create(need, org, actor, now)


def _lost(offer: Offer, now: datetime) -> OfferError:
    """Why an answer or a cancellation came too late, from the state the database holds now."""
    if offer.status == OfferStatus.CANCELLED:
        return OfferError(_l("staff cancelled this offer"))
    if offer.status == OfferStatus.EXPIRED or (offer.status == OfferStatus.REQUESTED and offer.due_at <= now):
        return OfferError(_l("this offer has expired"))
    return OfferError(_l("this offer has already been answered"))


def _answer(offer: Offer, status: OfferStatus, actor: User, now: datetime, **values: Any) -> None:
    won = state.move(offer, Offer.status == OfferStatus.REQUESTED, Offer.due_at > now,
                     values={"status": status, "answered_at": now, "answered_by_id": actor.id, **values})
    if not won:
        raise _lost(offer, now)


def accept(offer: Offer, *, actor: User, promised_by: date, quantity: int | None = None,
           now: datetime | None = None) -> None:
    """The organisation accepts: the offer moves once, then the need becomes its claim (one call to
    the claim transition, which checks the promise date, that the need is still open and that
    `quantity` is within what is left). With `quantity` below what is left it takes a part (split
    fulfilment, docs/parts.md): the rest stays in the pool, for staff to route on."""
    if not _member_of(actor, offer):
        raise PermissionError("only the organisation's members answer its offers")
    now = now or clock.now()
    _answer(offer, OfferStatus.ACCEPTED, actor, now)
    part = transitions.claim(offer.need, actor=actor, promised_by=promised_by, quantity=quantity)
    _record("offer.accept", offer, actor, OfferStatus.REQUESTED, promised_by=promised_by.isoformat(),
            quantity=part.quantity)


def decline(offer: Offer, *, actor: User, reason: str, text: str = "", now: datetime | None = None) -> None:
    """The organisation declines with a coded reason ("other" needs words); the region's staff hear of it."""
    if not _member_of(actor, offer):
        raise PermissionError("only the organisation's members answer its offers")
    now = now or clock.now()
    text = (text or "").strip()[:500]
    if reason not in set(DeclineReason):
        raise OfferError(_l("choose why you decline"))
    if reason == DeclineReason.OTHER and not text:
        raise OfferError(_l("say why you decline"))
    _answer(offer, OfferStatus.REJECTED, actor, now, reason=reason, reason_text=text)
    _record("offer.decline", offer, actor, OfferStatus.REQUESTED, offer_reason=reason, reason=text)
    need = offer.need
    notices.notify_region_staff(need.district_code, need.street_code, "offer_declined", "needs", need.id,
                                {"title": need.title, "organisation": offer.organisation.name})


def cancel(offer: Offer, *, actor: User, now: datetime | None = None) -> None:
    """Staff withdraw an offer still waiting for an answer; the need stays in the pool."""
    if not covers(actor, offer.need):
        raise PermissionError("only staff covering the need cancel its offers")
    now = now or clock.now()
    if not state.move(offer, Offer.status == OfferStatus.REQUESTED,
                      values={"status": OfferStatus.CANCELLED, "answered_at": now, "answered_by_id": actor.id}):
        raise _lost(offer, now)
    _record("offer.cancel", offer, actor, OfferStatus.REQUESTED)


# --- the scheduler's -------------------------------------------------------------------------------

def _expired_now(now: datetime) -> Any:
    """The offers this run expired: stamped with this run's moment."""
    return sa.and_(Offer.status == OfferStatus.EXPIRED, Offer.answered_at == sa.literal(now, UTCDateTime),
                   Offer.answered_by_id.is_(None))


def expire_due(now: datetime) -> dict[str, int]:
    """Offers past their deadline expire (one UPDATE), each with its audit row on the need and a
    notice to the need's region staff (one INSERT … SELECT each); then each need goes back to the
    pool or, when `offer_pass_on` is 1, is routed to the next suggested organisation."""
    due = sa.and_(Offer.status == OfferStatus.REQUESTED, Offer.due_at <= now)
    expired = db.session.execute(
        sa.update(Offer).where(due).values(status=OfferStatus.EXPIRED, answered_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not expired:
        return {"expired": 0, "passed_on": 0}
    this_run = _expired_now(now)
    columns = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "ip", "after"]
    after = notices.json_params(offer_id=Offer.id, offer_status=Offer.status, organisation_id=Offer.organisation_id)
    rows = (sa.select(sa.literal(now, UTCDateTime), sa.literal("system"), sa.literal("offer.expire"),
                      sa.literal("needs"), sa.cast(Need.id, sa.String),
                      sa.func.coalesce(Need.street_code, Need.district_code), sa.literal(""), after)
            .join(Need, Need.id == Offer.need_id).where(this_run))
    db.session.execute(sa.insert(AuditEvent.__table__).from_select(columns, rows))
    changes.touch_many(db.session.scalars(sa.select(Need.referral_id).join(Offer, Offer.need_id == Need.id)
                                          .where(this_run).distinct()))
    staff = (sa.select(User.id.label("user_id"), Need.id.label("object_id"),
                       notices.json_params(title=Need.title, organisation=Organisation.name).label("params"))
             .select_from(Offer).join(Need, Need.id == Offer.need_id)
             .join(Organisation, Organisation.id == Offer.organisation_id)
             .join(User, sa.or_(User.region_code == Need.district_code, User.region_code == Need.street_code))
             .where(this_run, User.role == Role.STAFF, User.is_enabled.is_(True)))
    notices.notify_from("offer_expired", staff, object_type="needs", now=now)
    passed_on = 0
    if settings.get("offer_pass_on"):
        # One suggestion query per need whose offer expired in this run: a handful each run.
        for need in db.session.scalars(sa.select(Need).join(Offer, Offer.need_id == Need.id).where(this_run)):
            try:
                org = suggest.next_organisation(need, now)
                if org is not None:
                    _create(need, _refuse_unroutable(need, org, now), None, now)
                    passed_on += 1
            except OfferError:
                continue  # no longer routable (claimed meanwhile): it stays in the pool
    return {"expired": expired, "passed_on": passed_on}


def remind_expiring(now: datetime) -> int:
    """"Offer expiring": once per offer, `offer_reminder_hours` before its deadline, to the
    organisation's members (one UPDATE, one INSERT … SELECT)."""
    soon = now + timedelta(hours=settings.get("offer_reminder_hours"))
    db.session.execute(
        sa.update(Offer).where(Offer.status == OfferStatus.REQUESTED, Offer.reminded_at.is_(None),
                               Offer.due_at > now, Offer.due_at <= soon)
        .values(reminded_at=now).execution_options(synchronize_session=False))
    members = (sa.select(User.id.label("user_id"), Offer.id.label("object_id"),
                         notices.json_params(title=Need.title).label("params"))
               .select_from(Offer).join(Need, Need.id == Offer.need_id)
               .join(User, User.organisation_id == Offer.organisation_id)
               .where(Offer.reminded_at == sa.literal(now, UTCDateTime), Offer.status == OfferStatus.REQUESTED,
                      User.role == Role.ORG_MEMBER, User.is_enabled.is_(True)))
    return notices.notify_from("offer_expiring", members, object_type="offers", now=now)


def _need_moved(need: Need, **_: Any) -> None:
    """A need that leaves the pool another way (claimed from its page, cancelled, expired) ends its
    waiting offer: accepted when the offered organisation claimed it itself, else cancelled."""
    if need.status == NeedStatus.PUBLISHED:
        return
    offer = db.session.scalar(sa.select(Offer).where(Offer.need_id == need.id, Offer.status == OfferStatus.REQUESTED))
    if offer is None:
        return
    status = OfferStatus.ACCEPTED if need.claimed_by_id == offer.organisation_id else OfferStatus.CANCELLED
    if state.move(offer, Offer.status == OfferStatus.REQUESTED,
                  values={"status": status, "answered_at": clock.now()}):
        _record("offer.end", offer, None, OfferStatus.REQUESTED)


# Once per process (connecting again is a no-op): needs announce their moves without importing us.
need_moved.connect(_need_moved, weak=False)
