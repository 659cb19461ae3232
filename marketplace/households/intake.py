"""Receiving referrals: idempotent by (source, external id), whichever door they come through.

A batch (`receive_batch`) answers each item as if it had been sent alone, but writes set-based:
one look-up of the referrals already stored, one upsert of all its households, one INSERT each of
its referrals, their search rows and their audit rows, and one change stamp at commit. Locks are
taken in one order that every batch shares (households sorted by their key, then referrals sorted
by external id), so batches whose referrals share households queue behind each other instead of
deadlocking. Should that set-based write fail for any reason, the batch is written again item by
item, each in a savepoint of its own, so one bad item never fails the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from marketplace import clock
from marketplace.audit import service as audit
from marketplace.changes import stamp as changes
from marketplace.db import insert_rows, is_transient
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import identity
from marketplace.households.contract import EXTERNAL_ID, Errors, HouseholdIn, Lookups, ReferralIn, validate
from marketplace.households.models import Household, HouseholdMerge, Referral, ReferralSearch, ReferralStatus
from marketplace.households.search import document_of
from marketplace.search import personal

log = logging.getLogger(__name__)


class ReferralConflict(DomainError):
    """The external id was already used with different content."""


class ReferralInvalid(DomainError):
    """The referral breaks the contract; `errors` maps field paths to messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("invalid referral")
        self.errors = errors


class ReferralNotStored(DomainError):
    """The database refused to store this one referral; nothing of it was kept, and no other item suffered."""

    def __init__(self) -> None:
        super().__init__("This referral could not be stored; nothing of it was kept. Send it again.")


@dataclass
class Received:
    """The referral and whether this call created it (False: a replay of the same content)."""

    referral: Referral
    created: bool


@dataclass(frozen=True)
class Accepted:
    """One batch item's referral: its id and external id, and whether this batch created it."""

    id: int
    external_id: str
    created: bool


BatchResult = Accepted | ReferralConflict | ReferralInvalid | ReferralNotStored

# The unique index a household is found by, and so the order in which a batch locks households.
HOUSEHOLD_KEY = ("source", "external_id")
HouseholdKey = tuple[str, ...]


def household_key(source: str, sent: HouseholdIn) -> HouseholdKey:
    """The values of HOUSEHOLD_KEY for a referral: the source's own household id, which a batch upserts
    and locks by. Which household a referral joins is decided by `identity.household_for`; a batch
    writes set-based only when that gives the same answer (`_one_file_rule_differs`)."""
    return (source, sent.external_id)


def _one_file_rule_differs(source: str, latest: dict[HouseholdKey, HouseholdIn]) -> bool:
    """Whether the one-file rule (households/identity.py) would put a household of the batch elsewhere
    than the upsert by the source's own id: its ID number is on file under another household, two of
    the batch's households send one number, or its record was merged into another. Two queries."""
    numbers = [personal.digest(personal.ID_NUMBER, sent.id_number or "") for sent in latest.values()]
    numbers = [n for n in numbers if n]
    if len(numbers) != len(set(numbers)):
        return True
    if numbers:
        owners = db.session.execute(sa.select(Household.source, Household.external_id).where(
            sa.or_(Household.identity_key.in_(numbers), Household.id_number_hash.in_(numbers))))
        if any(tuple(owner) not in latest for owner in owners):
            return True
    merged = sa.select(HouseholdMerge.merged_id).where(
        HouseholdMerge.source == source, HouseholdMerge.external_id.in_(sorted(key[1] for key in latest))).limit(1)
    return db.session.scalar(merged) is not None


def _household_fields(sent: HouseholdIn) -> dict[str, Any]:
    """What a referral refreshes of its household: the latest data its source sent."""
    phone, address, id_number = sent.phone or "", sent.address or "", sent.id_number or ""
    return {"category": sent.category, "group": sent.group, "district_code": sent.region_code,
            "street_code": sent.street,  # validated: the street's code
            "members": sent.members, "head_name": sent.head_name, "phone": phone, "address": address,
            "id_number": id_number}


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


# --- a batch ------------------------------------------------------------------------------------

@dataclass
class _Item:
    index: int
    payload: Any
    digest: str
    external_id: str | None  # None: not a storable id (the item is a replay of nothing)


def receive_batch(source: str, payloads: Sequence[Any], *, actor: Any = None, actor_label: str | None = None,
                  lookups: Lookups | None = None) -> list[BatchResult]:
    """Record many referrals, each answered as if sent alone in the order given; one result per item."""
    lookups = lookups or Lookups()
    items = [_Item(i, payload, content_hash(payload), _storable_id(payload)) for i, payload in enumerate(payloads)]
    stored = _stored(source, {item.external_id for item in items if item.external_id})
    results: dict[int, BatchResult] = {}
    creating: dict[str, tuple[_Item, ReferralIn]] = {}  # external id → the first valid item that sends it
    followers: list[_Item] = []  # later items with an id an earlier item of the batch creates
    for item in items:
        if item.external_id in stored:
            results[item.index] = _replay_of(stored[item.external_id], None, item.digest)
        elif item.external_id in creating:
            followers.append(item)
        else:
            clean, errors = validate(item.payload, lookups)
            if clean is None:
                results[item.index] = ReferralInvalid(errors)
            else:
                creating[clean.external_id] = (item, clean)
    if creating:
        latest = {household_key(source, clean.household): clean.household for _item, clean in creating.values()}
        created = None if _one_file_rule_differs(source, latest) else \
            _store_together(source, list(creating.values()), actor, actor_label)
        if created is None:
            pending = [item for item, _clean in creating.values()] + followers
            keys = {external_id: household_key(source, clean.household) for external_id, (_, clean) in creating.items()}
            # Item by item, in the batch's lock order (its first sender's household, then its place).
            pending.sort(key=lambda item: (keys.get(item.external_id or "", ()), item.index))
            for item in pending:
                results[item.index] = _receive_alone(source, item.payload, actor, actor_label, lookups)
        else:
            results.update(created)
            for item in followers:
                first, _clean = creating[item.external_id or ""]
                results[item.index] = _replay_of(created[first.index], first.digest, item.digest)
    return [results[index] for index in range(len(items))]


def _storable_id(payload: Any) -> str | None:
    external_id = payload.get("external_id") if isinstance(payload, dict) else None
    return external_id if isinstance(external_id, str) and EXTERNAL_ID.fullmatch(external_id) else None


def _stored(source: str, external_ids: set[str]) -> dict[str, _Stored]:
    """The referrals of these ids already stored, by external id, with their content hash (one query)."""
    if not external_ids:
        return {}
    query = sa.select(Referral.id, Referral.external_id, Referral.content_hash).where(
        Referral.source == source, Referral.external_id.in_(sorted(external_ids)))
    return {row.external_id: _Stored(row.id, row.external_id, row.content_hash) for row in db.session.execute(query)}


@dataclass(frozen=True)
class _Stored:
    id: int
    external_id: str
    content_hash: str


def _replay_of(first: BatchResult | _Stored, first_digest: str | None, digest: str) -> BatchResult:
    """The answer to an id already stored (earlier, or by an earlier item of this batch): same content 200."""
    if isinstance(first, _Stored):
        first, first_digest = Accepted(first.id, first.external_id, True), first.content_hash
    if not isinstance(first, Accepted):
        return first
    return Accepted(first.id, first.external_id, False) if digest == first_digest else \
        ReferralConflict(first.external_id)


def _store_together(source: str, items: list[tuple[_Item, ReferralIn]], actor: Any,
                    actor_label: str | None) -> dict[int, BatchResult] | None:
    """Write the batch's new referrals set-based, in a savepoint; None when the database refused it."""
    try:
        with db.session.begin_nested():
            return _write_together(source, items, actor, actor_label)
    except Exception:  # whatever refused it, the item-by-item path finds the item and keeps the rest
        log.warning("a batch could not be stored together; storing it item by item", exc_info=True)
        return None


def _write_together(source: str, items: list[tuple[_Item, ReferralIn]], actor: Any,
                    actor_label: str | None) -> dict[int, BatchResult]:
    now, session = clock.now(), db.session
    # The search documents first (segmenting is the batch's slowest Python): no lock is held yet.
    documents = {item.index: document_of(
        title=c.need.title, description=c.need.description, need_category=c.need.category, need_kind=c.need.kind,
        district_code=c.household.region_code, street_code=c.household.street, source=source,
        external_id=c.external_id) for item, c in items}
    # Households first, all in one statement, locked in key order: the lock order every batch shares.
    latest: dict[HouseholdKey, HouseholdIn] = {}
    for _item, clean in items:  # the last referral's data wins, as if the items had come one by one
        latest[household_key(source, clean.household)] = clean.household
    fields = [{**dict(zip(HOUSEHOLD_KEY, key, strict=True)), **_household_fields(sent)}
              for key, sent in sorted(latest.items())]
    for row in fields:
        row.update(Household.lookup_keys(row["head_name"], row["phone"], row["id_number"]),
                   created_at=now, updated_at=now)
        row["identity_key"] = row["id_number_hash"]  # the file of its number (checked free above)
    refreshed = [name for name in fields[0] if name not in (*HOUSEHOLD_KEY, "created_at")]
    # When every household is on file with the data the batch sends, none is written: they are only
    # held (FOR KEY SHARE, in key order) so that none is merged away under the referrals, and batches
    # re-referring the same families run side by side. Otherwise all are upserted in key order, as
    # one lock order: taking some rows shared and others exclusively would let two batches deadlock.
    keys = [key for key, _sent in sorted(latest.items())]

    def unchanged(on_file: dict[HouseholdKey, dict]) -> bool:
        return not any(_differs(on_file.get((source, row["external_id"])), row, refreshed) for row in fields)

    # Read again to hold them: one may have changed in between.
    if unchanged(_households_on_file(source, keys, refreshed)) and unchanged(
            held := _households_on_file(source, keys, refreshed, hold=True)):
        household_ids = {key: stored["id"] for key, stored in held.items()}
    else:
        upserted = insert_rows(session, Household.__table__, fields, key=HOUSEHOLD_KEY, update=refreshed,
                               returning=("id", *HOUSEHOLD_KEY))
        household_ids = {tuple(row[1:]): row[0] for row in upserted}
    # Then the referrals, in external-id order; an id a racing request stored meanwhile is left out.
    rows = []
    for item, c in sorted(items, key=lambda pair: pair[1].external_id):
        need = c.need
        rows.append({
            "source": source, "external_id": c.external_id,
            "household_id": household_ids[household_key(source, c.household)],
            "district_code": c.household.region_code, "referred_at": c.referred_at, "status": ReferralStatus.RECEIVED,
            "decline_reason": "", "need_kind": need.kind, "need_category": need.category, "title": need.title,
            "description": need.description, "quantity": need.quantity,
            "estimated_value_fen": need.estimated_value_fen, "urgency": need.urgency, "needed_by": need.needed_by,
            "content_hash": item.digest, "payload": item.payload, "created_by_id": None, "triaged_by_id": None,
            "created_at": now, "updated_at": now, "change_seq": 0, "changed_at": now,
        })
    inserted = insert_rows(session, Referral.__table__, rows, key=("source", "external_id"),
                           returning=("id", "external_id"))
    new_ids = {row.external_id: row.id for row in inserted}
    raced = _stored(source, {c.external_id for _item, c in items} - new_ids.keys())
    results: dict[int, BatchResult] = {}
    search_rows, audited = [], []
    for item, c in items:
        if c.external_id not in new_ids:
            results[item.index] = _replay_of(raced[c.external_id], None, item.digest)
            continue
        referral_id = new_ids[c.external_id]
        results[item.index] = Accepted(referral_id, c.external_id, True)
        document = documents[item.index]
        search_rows.append({"referral_id": referral_id, "title_words": document.title_words,
                            "title_chars": document.title_chars, "body_words": document.body_words,
                            "body_chars": document.body_chars})
        audited.append((referral_id, c.household.region_code, {"source": source, "external_id": c.external_id}))
    insert_rows(session, ReferralSearch.__table__, search_rows)
    audit.record_many("referral.receive", audited, object_type=Referral.__tablename__, actor=actor,
                      actor_label=actor_label)
    changes.touch_many(new_ids.values())
    return results


def _households_on_file(source: str, keys: list[HouseholdKey], fields: list[str], *,
                        hold: bool = False) -> dict[HouseholdKey, dict]:
    """The stored households of these keys: their id and the fields a referral refreshes; with `hold`,
    locked FOR KEY SHARE in key order (PostgreSQL; SQLite has one writer at a time anyway)."""
    table = Household.__table__
    query = (sa.select(table.c.id, table.c.external_id, *(table.c[name] for name in fields))
             .where(table.c.source == source, table.c.external_id.in_([external_id for _source, external_id in keys])))
    if hold:
        query = query.order_by(*(table.c[name] for name in HOUSEHOLD_KEY)).with_for_update(read=True, key_share=True)
    return {(source, row["external_id"]): dict(row) for row in db.session.execute(query).mappings()}


def _differs(stored: dict | None, sent: dict, fields: list[str]) -> bool:
    """Whether the household must be written: new, or any field but its time stamp changed."""
    return stored is None or any(stored[name] != sent[name] for name in fields if name != "updated_at")


TRIES = 3


def _receive_alone(source: str, payload: Any, actor: Any, actor_label: str | None, lookups: Lookups) -> BatchResult:
    """One item in a savepoint of its own: refused, stored, or (whatever the database said) not stored."""
    for attempt in range(1, TRIES + 1):
        try:
            with db.session.begin_nested():
                received = receive(source, payload, actor=actor, actor_label=actor_label, lookups=lookups)
            return Accepted(received.referral.id, received.referral.external_id, received.created)
        except (ReferralConflict, ReferralInvalid) as refusal:
            return refusal
        except Exception as error:  # the savepoint is rolled back: the batch's other items stand
            if attempt < TRIES and isinstance(error, SQLAlchemyError) and is_transient(error):
                continue
            log.warning("a referral of a batch could not be stored", exc_info=True)
            return ReferralNotStored()
    raise AssertionError("unreachable")
