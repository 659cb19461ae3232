"""Donations: start one, pay it through Stripe, apply Stripe's webhook events once, refund.

The webhook is the source of truth. Each event id is stored (primary key) in the same transaction
that applies it, so a duplicate or a retry is refused by the database; a donation's status only
moves forward (created → failed → succeeded → refunded), so a late or out-of-order event changes
nothing. Over-funding rule (docs/donations.md): a succeeded donation covers the plan's lines that
still have room; whatever the plan can no longer take goes to the district's general fund.
"""

from __future__ import annotations

import json
import secrets
import time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace import clock, money, state
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.donations.models import STATUS_RANK, Donation, DonationAllocation, DonationStatus, StripeEvent
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.projects import service as projects
from marketplace.projects.models import Milestone, PlanLine, Project
from marketplace.unit_of_work import checkpoint

MIN_FEN = 100  # ¥1
MAX_GENERAL_FEN = 5_000_000  # one gift to a general fund: at most ¥50,000
FUTURE_SKEW_SECONDS = 30  # a signature timestamp further ahead than this is refused
PENDING = "pending:"


class DonationError(DomainError):
    """The donation cannot be made now; the message says why."""


class WebhookError(DomainError):
    """The webhook request is refused (bad, stale, future or missing signature)."""


class DonationAction(StrEnum):
    """What a person can do to a donation (the rest is Stripe's webhook)."""

    REFUND = "refund"


DONATION_MOVES: state.Moves[DonationAction, DonationStatus] = state.Moves(Donation.status, {
    DonationAction.REFUND: ((DonationStatus.SUCCEEDED,), DonationStatus.REFUNDED),
})


def _offered(donation: Donation) -> frozenset[DonationAction]:
    offered = DONATION_MOVES.offered(donation.status)
    return offered if donation.payment_intent_id else frozenset()  # Stripe refunds a payment it knows


@state.answers(Donation)
def allowed(donation: Donation, user: Any) -> state.Allowed[DonationAction]:
    """An admin refunds a received gift."""
    offered = _offered(donation)
    return state.Allowed(DonationAction, offered if user.role == Role.ADMIN else (), offered)


def enabled() -> bool:
    """Online giving is on only when both Stripe keys are configured."""
    cfg = current_app.config
    return bool(cfg.get("STRIPE_SECRET_KEY") and cfg.get("STRIPE_PUBLISHABLE_KEY"))


def client() -> stripe.StripeClient:
    """A Stripe client for the configured key (and API base, e.g. localstripe in tests)."""
    cfg = current_app.config
    base = cfg.get("STRIPE_API_BASE") or None
    return stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], base_addresses={"api": base} if base else None)


def start(*, project: Project | None, district_code: str, amount_fen: int, donor_name: str = "",
          show_name: bool = False, email: str = "") -> Donation:
    """Record a donation waiting for payment; the amount is limited to what the project still needs."""
    if not enabled():
        raise DonationError(_l("Online giving is off."))
    limit = project.giving_room_fen if project is not None else MAX_GENERAL_FEN
    if amount_fen < MIN_FEN:
        raise DonationError(_l("The smallest gift is ¥1."))
    if amount_fen > limit:
        raise DonationError(_l("This project needs at most %(amount)s more.", amount=money.show(limit)))
    donation = Donation(token=secrets.token_urlsafe(18), project_id=project.id if project else None,
                        district_code=district_code, amount_fen=amount_fen, donor_name=donor_name.strip()[:60],
                        show_name=bool(show_name and donor_name.strip()), email=email.strip()[:200])
    db.session.add(donation)
    db.session.flush()
    audit.record("donation.start", obj=donation, actor_label="donor",
                 after={"amount_fen": amount_fen, "project_id": donation.project_id})
    return donation


def claim_payment(donation: Donation) -> str:
    """Mark the donation as being paid (one payment per donation, even if the button is pressed twice)."""
    marker = PENDING + secrets.token_hex(8)
    result = db.session.execute(
        sa.update(Donation).where(Donation.id == donation.id, Donation.payment_intent_id.is_(None),
                                  Donation.status == DonationStatus.CREATED)
        .values(payment_intent_id=marker).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DonationError(_l("This gift is already being paid."))
    return marker


def create_intent(donation: Donation, payment_method: str) -> Any:
    """Create and confirm the PaymentIntent in CNY (amounts in fen); no database work here."""
    if donation.project is not None and donation.amount_fen > donation.project.giving_room_fen:
        raise DonationError(_l("This project needs less than your gift now: please give a smaller amount."))
    params: dict[str, Any] = {
        "amount": donation.amount_fen, "currency": "cny", "payment_method": payment_method, "confirm": True,
        "payment_method_types": ["card"], "metadata": {"donation": donation.token},
    }
    stripe_client = client()
    if payment_method.startswith("pm_"):
        # The donor's card is attached to a customer of this gift first: a card Stripe declines
        # fails here already (CardError), before any charge.
        customer = stripe_client.v1.customers.create(params={"metadata": {"donation": donation.token}})
        stripe_client.v1.payment_methods.attach(payment_method, params={"customer": customer.id})
        params["customer"] = customer.id
    return stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": donation.token})


def payment_refused(donation: Donation, marker: str) -> None:
    """Stripe declined the card outright: the gift is failed (forward only; a later event changes nothing)."""
    record_intent(donation, marker, None)
    if _forward(donation, DonationStatus.FAILED, failed_at=clock.now()):
        audit.record("donation.failed", obj=donation, actor_label="stripe")


class PaymentRefused(DonationError):
    """Stripe refused the card or the payment; the donor may try again with another card."""


def pay(donation: Donation, payment_method: str) -> Any:
    """Pay a donation: reserve it, create and confirm the PaymentIntent, record its id.

    The reservation is made durable before Stripe is called (`unit_of_work.checkpoint`): a second
    press of the button, in another request, must find it taken while the first waits on Stripe.
    Whatever Stripe answers is recorded in the request's unit: a declined card fails the gift, any
    other refusal frees it for another try. Raises DonationError (already being paid, no room) or
    PaymentRefused (Stripe said no); returns the PaymentIntent.
    """
    marker = claim_payment(donation)
    checkpoint()
    try:
        intent = create_intent(donation, payment_method)
    except (DonationError, stripe.StripeError) as exc:
        if isinstance(exc, stripe.CardError):
            payment_refused(donation, marker)
        else:
            record_intent(donation, marker, None)  # free the gift so the donor can try again
        checkpoint()  # what Stripe answered stands, although the request answers with a refusal
        if isinstance(exc, DonationError):
            raise PaymentRefused(exc.message) from exc
        raise PaymentRefused(_l("The payment was refused: %(reason)s", reason=exc.user_message or "")) from exc
    record_intent(donation, marker, intent.id)
    return intent


def record_intent(donation: Donation, marker: str, intent_id: str | None) -> None:
    """Store the PaymentIntent id in place of the marker (or free the donation when Stripe refused)."""
    db.session.execute(
        sa.update(Donation).where(Donation.id == donation.id, Donation.payment_intent_id == marker)
        .values(payment_intent_id=intent_id).execution_options(synchronize_session=False)
    )


# --- the webhook ------------------------------------------------------------------------------

def verify(payload: bytes, sig_header: str | None) -> dict[str, Any]:
    """The event, once its signature is checked; stale and future timestamps are refused."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not sig_header:
        raise WebhookError("missing signature or secret")
    stamps = [part[2:] for part in sig_header.split(",") if part.strip().startswith("t=")]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        raise WebhookError("no timestamp")
    if int(stamps[0]) > time.time() + FUTURE_SKEW_SECONDS:
        raise WebhookError("timestamp in the future")
    try:
        stripe.Webhook.construct_event(payload, sig_header, secret, tolerance=300)
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise WebhookError(str(exc)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("data"), dict):
        raise WebhookError("not an event")
    return event


def apply_event(event: dict[str, Any]) -> str:
    """Apply one verified event at most once: 'applied', 'duplicate' or 'ignored'."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event["id"][:80], type=str(event.get("type", ""))[:60]))
    except IntegrityError:
        return "duplicate"
    obj = event["data"].get("object") or {}
    kind = event.get("type")
    if kind == "payment_intent.succeeded":
        return _succeeded(obj)
    if kind == "payment_intent.payment_failed":
        return _failed(obj)
    if kind == "charge.refunded" and obj.get("refunded"):
        donation = _find(obj.get("payment_intent"), None)
        return "applied" if donation and _mark_refunded(donation, None) else "ignored"
    return "ignored"


def _find(intent_id: Any, token: Any) -> Donation | None:
    if isinstance(token, str) and token:
        donation = db.session.scalar(sa.select(Donation).where(Donation.token == token))
        if donation is not None:
            return donation
    if isinstance(intent_id, str) and intent_id:
        return db.session.scalar(sa.select(Donation).where(Donation.payment_intent_id == intent_id))
    return None


def _forward(donation: Donation, status: str, **values: Any) -> bool:
    """Move the status forward only (a conditional UPDATE: one winner, never backwards)."""
    behind = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    result = db.session.execute(
        sa.update(Donation).where(Donation.id == donation.id, Donation.status.in_(behind))
        .values(status=status, **values).execution_options(synchronize_session=False)
    )
    db.session.refresh(donation)
    return result.rowcount == 1


def _intent_matches(donation: Donation, obj: dict[str, Any]) -> bool:
    pid = donation.payment_intent_id
    same_intent = pid is None or pid.startswith(PENDING) or pid == obj.get("id")
    return same_intent and obj.get("amount") == donation.amount_fen and str(obj.get("currency")).lower() == "cny"


def _succeeded(obj: dict[str, Any]) -> str:
    donation = _find(obj.get("id"), (obj.get("metadata") or {}).get("donation"))
    if donation is None or not _intent_matches(donation, obj):
        return "ignored"
    if not _forward(donation, DonationStatus.SUCCEEDED, succeeded_at=clock.now(), payment_intent_id=obj["id"]):
        return "ignored"
    _allocate(donation)
    audit.record("donation.succeeded", obj=donation, actor_label="stripe",
                 after={"amount_fen": donation.amount_fen, "project_fen": donation.project_fen,
                        "general_fund_fen": donation.general_fund_fen})
    return "applied"


def _failed(obj: dict[str, Any]) -> str:
    donation = _find(obj.get("id"), (obj.get("metadata") or {}).get("donation"))
    if donation is None or not _intent_matches(donation, obj):
        return "ignored"
    if not _forward(donation, DonationStatus.FAILED, failed_at=clock.now(), payment_intent_id=obj["id"]):
        return "ignored"
    audit.record("donation.failed", obj=donation, actor_label="stripe")
    return "applied"


def _allocate(donation: Donation) -> None:
    """Cover the lines with room, in plan order; the rest goes to the district's general fund."""
    remaining = donation.amount_fen
    project = donation.project
    if project is not None and project.milestone == Milestone.PLAN_APPROVED:
        line_ids = db.session.scalars(sa.select(PlanLine.id).where(PlanLine.project_id == project.id)
                                      .order_by(PlanLine.id))
        for line_id in list(line_ids):
            remaining -= _take(donation, line_id, remaining)
            if not remaining:
                break
    donation.project_fen = donation.amount_fen - remaining
    donation.general_fund_fen = remaining
    db.session.flush()
    if project is not None and donation.project_fen:
        projects.check_covered(project)


def _take(donation: Donation, line_id: int, wanted: int) -> int:
    """Take up to `wanted` on one line; retried when a concurrent writer changed the room first."""
    for _attempt in range(5):
        room = db.session.scalar(sa.select(PlanLine.amount_fen - PlanLine.reserved_fen).where(PlanLine.id == line_id))
        take = min(room or 0, wanted)
        if take <= 0:
            return 0
        if projects.reserve(line_id, take):
            projects.adjust(line_id, confirmed=take)
            db.session.add(DonationAllocation(donation_id=donation.id, line_id=line_id, amount_fen=take))
            return take
    return 0


def _mark_refunded(donation: Donation, actor: User | None) -> bool:
    """Succeeded → refunded: its lines give the money back, the project may fall back from covered."""
    if not _forward(donation, DonationStatus.REFUNDED, refunded_at=clock.now(),
                    refunded_by_id=getattr(actor, "id", None)):
        return False
    for item in donation.allocations:
        projects.adjust(item.line_id, reserved=-item.amount_fen, confirmed=-item.amount_fen)
    project = donation.project
    if project is not None and donation.project_fen:
        projects.uncover(project)
    audit.record("donation.refunded", actor=actor, actor_label=None if actor else "stripe", obj=donation,
                 before={"status": DonationStatus.SUCCEEDED},
                 after={"status": DonationStatus.REFUNDED, "amount_fen": donation.amount_fen})
    return True


def refund(donation: Donation, *, actor: User) -> None:
    """An admin refunds a succeeded donation through Stripe; it stops counting everywhere."""
    if actor.role != Role.ADMIN:
        raise PermissionError("only an admin refunds")
    if DonationAction.REFUND not in _offered(donation):
        raise DonationError(_l("Only a received gift can be refunded."))
    try:
        client().v1.refunds.create(params={"payment_intent": donation.payment_intent_id})
    except stripe.StripeError as exc:
        raise DonationError(_l("Stripe refused the refund: %(reason)s", reason=exc.user_message or str(exc))) from exc
    _mark_refunded(donation, actor)


def general_fund_fen(district_code: str) -> int:
    """The district's general fund: gifts made to it and the excess of over-funded projects."""
    query = sa.select(sa.func.coalesce(sa.func.sum(Donation.general_fund_fen), 0)).where(
        Donation.district_code == district_code, Donation.status == DonationStatus.SUCCEEDED)
    return int(db.session.scalar(query) or 0)


def send_receipt_for(intent_id: Any) -> bool:
    """Email the receipt of the donation paid by this PaymentIntent, if it is due (see send_receipt)."""
    if not isinstance(intent_id, str) or not intent_id:
        return False
    donation = db.session.scalar(sa.select(Donation).where(Donation.payment_intent_id == intent_id))
    return donation is not None and send_receipt(donation)


def send_receipt(donation: Donation) -> bool:
    """Email a receipt once, if the donor left an address and SMTP is configured (notifications' settings)."""
    if not donation.email or donation.status != DonationStatus.SUCCEEDED or not current_app.config.get("MAIL_SERVER"):
        return False
    result = db.session.execute(
        sa.update(Donation).where(Donation.id == donation.id, Donation.receipt_sent_at.is_(None))
        .values(receipt_sent_at=clock.now()).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    from marketplace.donations.receipt import send

    send(donation)
    return True
