"""Transferring a need or a referral to a government department, and recording its answer.

A transferred need is held as a draft (`Need.transfer_open`): out of the public pool, unpublishable
until the department answers. Taken over, the need ends (cancelled, the department named); returned,
it is a draft again that staff may publish or transfer elsewhere. A referral not yet triaged may be
transferred whole: taken over, it is declined with the department named; returned, it waits for
triage again. Past its due date an open transfer turns `overdue` (a set-based job), lights red and
its region's staff are told. Each change is audited and enters the referral's change feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace import clock, state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers, region_filter
from marketplace.audit import service as audit
from marketplace.audit.models import AuditEvent
from marketplace.changes import stamp as changes
from marketplace.db import UTCDateTime
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.households import service as households
from marketplace.households.models import Referral, ReferralStatus
from marketplace.needs import transitions
from marketplace.needs.models import Need, NeedStatus
from marketplace.notifications import service as notices
from marketplace.settings import service as settings
from marketplace.transfers.models import (
    DEFAULT_DEPARTMENTS,
    OPEN_TRANSFER,
    Department,
    Transfer,
    TransferOutcome,
    TransferStatus,
)

TRANSFERABLE = (NeedStatus.DRAFT, NeedStatus.PUBLISHED, NeedStatus.EXPIRED)


class TransferError(DomainError):
    """A transfer step was refused; the message says why."""


# --- departments ---------------------------------------------------------------------------------

@dataclass
class DepartmentIn:
    """What an admin types for a department."""

    name: str
    remit: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    is_active: bool = True


def active_departments() -> list[Department]:
    """The departments staff may transfer to, by name."""
    return list(db.session.scalars(sa.select(Department).where(Department.is_active.is_(True))
                                   .order_by(Department.name)))


def ensure_default_departments() -> int:
    """Add the usual departments that are missing (by name); idempotent. Returns how many were added."""
    have = set(db.session.scalars(sa.select(Department.name)))
    added = [Department(name=name, remit=remit) for name, remit in DEFAULT_DEPARTMENTS if name not in have]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def save_department(department: Department | None, data: DepartmentIn, *, actor: User) -> Department:
    """Create (None) or change a department; admins only, audited with what changed."""
    if actor.role != Role.ADMIN:
        raise PermissionError("departments are managed by admins")
    name = data.name.strip()[:60]
    if not name:
        raise TransferError(_l("a department needs a name"))
    clash = db.session.scalar(sa.select(Department.id).where(Department.name == name))
    if clash is not None and (department is None or clash != department.id):
        raise TransferError(_l("there is already a department of this name"))
    fields = {"name": name, "remit": data.remit.strip()[:200], "contact_name": data.contact_name.strip()[:50],
              "contact_phone": data.contact_phone.strip()[:30], "contact_email": data.contact_email.strip()[:120],
              "is_active": bool(data.is_active)}
    created = department is None
    if department is None:
        department = Department()
        db.session.add(department)
    before = {key: getattr(department, key) for key in fields} if not created else {}
    for key, value in fields.items():
        setattr(department, key, value)
    db.session.flush()
    changed = {key: value for key, value in fields.items() if before.get(key) != value}
    audit.record("department.create" if created else "department.update", actor=actor, obj=department,
                 before={k: before[k] for k in changed if k in before} or None, after=changed)
    return department


# --- transfers -----------------------------------------------------------------------------------

def default_due(today: date | None = None) -> date:
    """The answer deadline offered by default (the `transfer_due_days` setting from today)."""
    return (today or clock.today()) + timedelta(days=settings.get("transfer_due_days"))


def open_transfer(need: Need) -> Transfer | None:
    """The need's transfer still waiting for an answer, if any."""
    return db.session.scalar(sa.select(Transfer).where(Transfer.need_id == need.id,
                                                       Transfer.status.in_(OPEN_TRANSFER)))


def latest_transfer(need: Need) -> Transfer | None:
    """The need's latest transfer (what the status object shows), if it ever had one."""
    return db.session.scalar(sa.select(Transfer).where(Transfer.need_id == need.id)
                             .order_by(Transfer.id.desc()).limit(1))


def of_referral(referral: Referral) -> list[Transfer]:
    """Every transfer of the referral or of its needs, oldest first."""
    return list(db.session.scalars(sa.select(Transfer).where(Transfer.referral_id == referral.id)
                                   .order_by(Transfer.id)))


def may_transfer_need(need: Need, user: Any) -> bool:
    """Whether the page offers this user the transfer form: staff of the region, a need nobody claimed
    and not already with a department."""
    return covers(user, need) and need.status in TRANSFERABLE and not need.transfer_open and not need.claimed_quantity


def may_transfer_referral(referral: Referral, user: Any) -> bool:
    """A referral waiting for triage, with no open transfer of its own, by staff of its region."""
    if not covers(user, referral) or referral.status != ReferralStatus.RECEIVED:
        return False
    open_one = sa.select(Transfer.id).where(Transfer.referral_id == referral.id, Transfer.need_id.is_(None),
                                            Transfer.status.in_(OPEN_TRANSFER))
    return db.session.scalar(open_one) is None


def may_answer(transfer: Transfer, user: Any) -> bool:
    """Staff of the transfer's region record the answer of an open transfer."""
    return covers(user, transfer) and transfer.is_open


def _check_request(department: Department, due_on: date, note: str) -> str:
    if not department.is_active:
        raise TransferError(_l("this department no longer takes transfers"))
    if due_on < clock.today():
        raise TransferError(_l("choose today or a later date for the answer"))
    note = (note or "").strip()
    if not note:
        raise TransferError(_l("say what the department is asked to do"))
    return note[:2000]


def _add(transfer: Transfer) -> Transfer:
    """Insert in a savepoint: a racing second transfer of the same need fails on the unique index."""
    try:
        with db.session.begin_nested():
            db.session.add(transfer)
    except IntegrityError:
        raise TransferError(_l("this case is already with a department")) from None
    return transfer


def transfer_need(need: Need, *, actor: User, department: Department, due_on: date, note: str) -> Transfer:
    """Hand a need nobody has claimed to a department; it leaves the public pool until the answer."""
    if not covers(actor, need):
        raise PermissionError("outside your region")
    note = _check_request(department, due_on, note)
    try:
        transitions.hand_to_department(need, actor=actor, department=department.name)
    except transitions.TransitionError as exc:
        raise TransferError(exc.message) from exc
    transfer = _add(Transfer(department=department, need=need, referral_id=need.referral_id,
                             district_code=need.district_code, street_code=need.street_code, due_on=due_on,
                             request_note=note, requested_by_id=actor.id, light="green"))
    audit.record("transfer.request", actor=actor, obj=transfer, region_code=transfer.region_code,
                 after={"status": TransferStatus.REQUESTED, "need_id": need.id, "department": department.name,
                        "due_on": due_on.isoformat()})
    return transfer


def transfer_referral(referral: Referral, *, actor: User, department: Department, due_on: date,
                      note: str) -> Transfer:
    """Hand a referral waiting for triage to a department as a whole (nothing was made of it yet)."""
    if not covers(actor, referral):
        raise PermissionError("outside your region")
    note = _check_request(department, due_on, note)
    if not may_transfer_referral(referral, actor):
        raise TransferError(_l("only a referral waiting for triage, not already with a department, can be "
                               "transferred"))
    household = referral.household
    transfer = _add(Transfer(department=department, referral=referral, district_code=referral.district_code,
                             street_code=household.street_code, due_on=due_on, request_note=note,
                             requested_by_id=actor.id, light="green"))
    changes.touch(referral.id)
    audit.record("transfer.request", actor=actor, obj=transfer, region_code=transfer.region_code,
                 after={"status": TransferStatus.REQUESTED, "referral_id": referral.id,
                        "department": department.name, "due_on": due_on.isoformat()})
    return transfer


def answer(transfer: Transfer, *, actor: User, outcome: str, text: str) -> None:
    """Record the department's answer; exactly one of two staff answering at once wins."""
    if not covers(actor, transfer):
        raise PermissionError("outside your region")
    text = (text or "").strip()
    if outcome not in set(TransferOutcome):
        raise TransferError(_l("choose what the department decided"))
    if not text:
        raise TransferError(_l("write the department's answer"))
    before = transfer.status
    won = state.move(transfer, Transfer.status.in_(OPEN_TRANSFER), values={
        "status": TransferStatus.ANSWERED, "outcome": outcome, "answer": text[:2000], "answered_at": clock.now(),
        "answered_by_id": actor.id, "light": None, "updated_at": clock.now()})
    if not won:
        raise TransferError(_l("this transfer was already answered"))
    taken_over = outcome == TransferOutcome.TAKEN_OVER
    name = transfer.department.name
    if transfer.need is not None:
        try:
            transitions.back_from_department(transfer.need, actor=actor, taken_over=taken_over, department=name)
        except transitions.TransitionError as exc:
            raise TransferError(exc.message) from exc
    elif transfer.referral is not None and taken_over:
        try:
            households.decline(transfer.referral, actor=actor, reason=str(_l("transferred to %(department)s: "
                                                                             "%(answer)s", department=name,
                                                                             answer=text[:1000])))
        except households.TriageError as exc:
            raise TransferError(exc.message) from exc
    changes.touch(transfer.referral_id)
    audit.record("transfer.answer", actor=actor, obj=transfer, region_code=transfer.region_code,
                 before={"status": before}, after={"status": TransferStatus.ANSWERED, "outcome": outcome})


def mark_overdue(now: datetime) -> int:
    """Open transfers past their due date turn overdue, set-based: one UPDATE … RETURNING, one audit
    INSERT … SELECT, the referrals into the change feed, one notice per region staff member."""
    today = clock.local_date(now)
    late = sa.and_(Transfer.status == TransferStatus.REQUESTED, Transfer.due_on < today)
    ids = list(db.session.scalars(
        sa.update(Transfer).where(late).values(status=TransferStatus.OVERDUE, light="red", updated_at=now)
        .returning(Transfer.id).execution_options(synchronize_session=False)))
    if not ids:
        return 0
    for chunk in [ids[i:i + 5000] for i in range(0, len(ids), 5000)]:
        these = Transfer.id.in_(chunk)
        columns = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "ip"]
        rows = sa.select(
            sa.literal(now, UTCDateTime), sa.literal("system"), sa.literal("transfer.overdue"),
            sa.literal("transfers"), sa.cast(Transfer.id, sa.String),
            sa.func.coalesce(Transfer.street_code, Transfer.district_code), sa.literal(""),
        ).where(these)
        db.session.execute(sa.insert(AuditEvent.__table__).from_select(columns, rows))
        changes.touch_many(db.session.scalars(sa.select(Transfer.referral_id).where(these).distinct()))
        staff = (
            sa.select(User.id.label("user_id"), sa.func.count().label("count"))
            .select_from(Transfer)
            .join(User, sa.or_(User.region_code == Transfer.district_code, User.region_code == Transfer.street_code))
            .where(these, User.role == Role.STAFF, User.is_enabled.is_(True))
            .group_by(User.id)
        )
        notices.notify_from("transfers_overdue", staff, object_type="transfers", now=now)
    return len(ids)


def ended_by_transfer(referral: Referral) -> bool:
    """Whether the referral ended by a transfer (the contract's outcome `transferred`): a department
    took over the referral itself, or every need of it has ended, none closed by a confirmed
    delivery, and at least one was taken over by a department."""
    taken = (sa.select(Transfer.need_id).where(Transfer.referral_id == referral.id,
                                               Transfer.outcome == TransferOutcome.TAKEN_OVER))
    rows = list(db.session.execute(taken))
    if not rows:
        return False
    if any(need_id is None for (need_id,) in rows):
        return True
    needs = referral.needs
    ended = all(n.status in (NeedStatus.CLOSED, NeedStatus.CANCELLED, NeedStatus.EXPIRED) for n in needs)
    return bool(needs) and ended and not any(n.status == NeedStatus.CLOSED for n in needs)


def transferred_at(referral: Referral) -> datetime | None:
    """When the referral ended by transfer (the latest take-over's answer), or None if it did not."""
    if not ended_by_transfer(referral):
        return None
    return db.session.scalar(sa.select(sa.func.max(Transfer.answered_at)).where(
        Transfer.referral_id == referral.id, Transfer.outcome == TransferOutcome.TAKEN_OVER))


def status_of(transfer: Transfer, today: date) -> str:
    """The contract's status: an open transfer past its date reads overdue even before the job ran."""
    if transfer.status == TransferStatus.REQUESTED and transfer.due_on < today:
        return TransferStatus.OVERDUE
    return transfer.status


def counts(user: Any, region: Any = None) -> dict[str, int]:
    """Open, overdue and answered transfers in the user's scope (and within `region` when given: a
    (district column value, street value) filter for the dashboard's chosen region)."""
    today = clock.today()
    query = sa.select(
        sa.func.count().filter(Transfer.status.in_(OPEN_TRANSFER)),
        sa.func.count().filter(sa.or_(Transfer.status == TransferStatus.OVERDUE,
                                      sa.and_(Transfer.status == TransferStatus.REQUESTED, Transfer.due_on < today))),
        sa.func.count().filter(Transfer.status == TransferStatus.ANSWERED),
        sa.func.count().filter(Transfer.outcome == TransferOutcome.TAKEN_OVER),
    ).where(region_filter(user, Transfer.district_code, Transfer.street_code))
    if region is not None:
        query = query.where(region)
    open_, overdue, answered, taken = db.session.execute(query).one()
    return {"open": open_ or 0, "overdue": overdue or 0, "answered": answered or 0, "taken_over": taken or 0}
