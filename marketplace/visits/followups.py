"""Follow-ups (回访): a set number of days after a need closes, staff ask the household how it went.

Due is computed on read, set-based: a closed need whose closing lies `followup_days` back and that
has no follow-up row. One row per need (a unique key): two people recording at once make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.accounts.scope import covers
from marketplace.audit import service as audit
from marketplace.db import insert_ignoring_duplicates
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import service as settings
from marketplace.visits.models import FollowUp


class FollowUpError(DomainError):
    """A follow-up was refused; the message says why."""


def due_before(now: datetime) -> datetime:
    """Needs closed before this moment are due a follow-up."""
    return now - timedelta(days=settings.get("followup_days"))


def due_query(now: datetime) -> sa.Select:
    """Closed needs past the follow-up delay with no follow-up yet (the caller adds the region filter)."""
    return sa.select(Need).where(
        Need.status == NeedStatus.CLOSED, Need.closed_at <= due_before(now),
        ~sa.exists().where(FollowUp.need_id == Need.id).correlate(Need))


def due_on(need: Need) -> date | None:
    """The day the need's follow-up falls due."""
    if need.closed_at is None:
        return None
    return clock.local_date(need.closed_at) + timedelta(days=settings.get("followup_days"))


def followable(need: Need) -> bool:
    """Whether the need can be followed up: only once it is closed."""
    return need.status == NeedStatus.CLOSED


def is_due(need: Need, now: datetime) -> bool:
    """Whether this closed need waits for its follow-up."""
    return (followable(need) and need.closed_at is not None and need.closed_at <= due_before(now)
            and of_need(need) is None)


def of_need(need: Need) -> FollowUp | None:
    """The need's follow-up, once recorded."""
    return db.session.scalar(sa.select(FollowUp).where(FollowUp.need_id == need.id))


@dataclass
class Answer:
    """What the follow-up form says."""

    reached: bool
    solved: bool | None
    satisfaction: int | None
    comments: str


def record_followup(need: Need, answer: Answer, *, actor: User) -> FollowUp:
    """Record the follow-up of a closed need, once; unreached households count as followed up."""
    if not covers(actor, need):
        raise PermissionError("outside your region")
    if not followable(need):
        raise FollowUpError(_l("only a closed need is followed up"))
    if answer.reached and (answer.solved is None or answer.satisfaction is None):
        raise FollowUpError(_l("say whether the need was solved and how satisfied the household is"))
    if answer.satisfaction is not None and not 1 <= answer.satisfaction <= 5:
        raise FollowUpError(_l("satisfaction is from 1 to 5"))
    solved, satisfaction = (answer.solved, answer.satisfaction) if answer.reached else (None, None)
    inserted = db.session.execute(insert_ignoring_duplicates(
        db.session, FollowUp.__table__, need_id=need.id, reached=answer.reached, solved=solved,
        satisfaction=satisfaction, comments=answer.comments.strip()[:2000], recorded_by_id=actor.id,
        recorded_at=clock.now()).execution_options(preserve_rowcount=True))
    if inserted.rowcount != 1:
        raise FollowUpError(_l("this need's follow-up was already recorded"))
    row = of_need(need)
    audit.record("followup.record", actor=actor, obj=need, region_code=need.region_code,
                 after={"reached": answer.reached, "solved": solved, "satisfaction": satisfaction})
    return row  # type: ignore[return-value]


def satisfaction_of_organisation(org_id: int) -> tuple[float | None, int]:
    """The average satisfaction of the follow-ups of the needs an organisation delivered, and how many."""
    row = db.session.execute(
        sa.select(sa.func.avg(FollowUp.satisfaction), sa.func.count(FollowUp.satisfaction))
        .join(Need, FollowUp.need_id == Need.id).where(Need.claimed_by_id == org_id)).one()
    return (float(row[0]) if row[0] is not None else None), int(row[1] or 0)
