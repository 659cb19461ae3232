"""Receiving referrals: idempotent by (source, external id), whichever door they come through."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.audit import service as audit
from marketplace.changes import stamp as changes
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import identity
from marketplace.households.contract import EXTERNAL_ID, Errors, Lookups, ReferralIn, validate
from marketplace.households.models import Household, Referral


class ReferralConflict(DomainError):
    """The external id was already used with different content."""


class ReferralInvalid(DomainError):
    """The referral breaks the contract; `errors` maps field paths to messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("invalid referral")
        self.errors = errors


@dataclass
class Received:
    """The referral and whether this call created it (False: a replay of the same content)."""

    referral: Referral
    created: bool


def content_hash(payload: Any) -> str:
    """The same JSON value gives the same hash, whatever the key order or whitespace."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # A lone surrogate has no UTF-8 form; validation refuses it, but the replay check comes first.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def find(source: str, external_id: Any) -> Referral | None:
    """The referral a source sent under this external id."""
    if not isinstance(external_id, str) or not EXTERNAL_ID.fullmatch(external_id):
        return None  # never stored (every stored id passed validation), so there is nothing to find
    query = sa.select(Referral).where(Referral.source == source, Referral.external_id == external_id)
    return db.session.scalar(query)


def receive(source: str, payload: Any, *, actor: Any = None, actor_label: str | None = None,
            lookups: Lookups | None = None) -> Received:
    """Record a referral once; a replay answers the first result, different content conflicts.

    `lookups` may be shared by the referrals of one batch or file, so each district, street and cap
    is read once for all of them.
    """
    digest = content_hash(payload)
    external_id = payload.get("external_id") if isinstance(payload, dict) else None
    existing = find(source, external_id)
    if existing is not None:
        return _replay(existing, digest)
    clean, errors = validate(payload, lookups)
    if clean is None:
        raise ReferralInvalid(errors)
    try:
        referral = _create_in_savepoint(source, clean, payload, digest)
    except IntegrityError:
        existing = find(source, external_id)
        if existing is None:
            raise
        return _replay(existing, digest)
    changes.touch(referral.id)
    audit.record(
        "referral.receive", actor=actor, actor_label=actor_label, obj=referral,
        region_code=referral.district_code, after={"source": source, "external_id": referral.external_id},
    )
    return Received(referral, True)


def _create_in_savepoint(source: str, c: ReferralIn, payload: Any, digest: str) -> Referral:
    """A racing duplicate fails alone, not the transaction. When another referral of the same new
    household won the race to create it, a second try finds that household and succeeds."""
    try:
        with db.session.begin_nested():
            return _create(source, c, payload, digest)
    except IntegrityError:
        if find(source, c.external_id) is not None:
            raise
    with db.session.begin_nested():
        return _create(source, c, payload, digest)


def _replay(existing: Referral, digest: str) -> Received:
    if existing.content_hash != digest:
        raise ReferralConflict(existing.external_id)
    return Received(existing, False)


def _create(source: str, c: ReferralIn, payload: Any, digest: str) -> Referral:
    household, need = _upsert_household(source, c), c.need
    referral = Referral(
        source=source, external_id=c.external_id, household=household, district_code=c.household.region_code,
        referred_at=c.referred_at, need_kind=need.kind, need_category=need.category, title=need.title,
        description=need.description, quantity=need.quantity, estimated_value_fen=need.estimated_value_fen,
        urgency=need.urgency, needed_by=need.needed_by, content_hash=digest, payload=payload,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def _upsert_household(source: str, c: ReferralIn) -> Household:
    """The household the referral joins (one per ID number: households/identity.py), refreshed with its data."""
    return identity.household_for(source, c.household)
