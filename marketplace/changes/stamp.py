"""The change sequence behind the API's change feed.

Whatever changes a referral's status object (receive, triage, decline, any need transition, a
light) calls `touch(referral_id)`. At commit, each touched referral gets the next value of ONE
counter row and the time. Bumping the counter with `UPDATE … RETURNING` locks that row until the
commit, so on PostgreSQL transaction N+1 cannot take its number before N has committed: a reader
never sees N+1 while N is still in flight, and a cursor on (change_seq, id) never skips a change.
On SQLite writers are serialized by the database lock anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from marketplace import clock
from marketplace.changes.models import ChangeCounter
from marketplace.db import insert_ignoring_duplicates
from marketplace.extensions import db

COUNTER = "referrals"
# The referral columns the stamp writes, named here instead of importing the households package:
# every feature that changes a referral imports this module, so it must import none of them.
REFERRALS = sa.table("referrals", sa.column("id"), sa.column("change_seq"), sa.column("changed_at"))
PENDING = "shanlian_touched_referrals"


def touch(*referral_ids: int | None) -> None:
    """Mark referrals as changed in the current transaction (None, e.g. a need without one, is ignored)."""
    touch_many(referral_ids)


def touch_many(referral_ids: Iterable[int | None]) -> None:
    """Like `touch`, for the set-based jobs (expiry, lights) that collect ids with RETURNING."""
    pending: set[int] = db.session.info.setdefault(PENDING, set())
    pending.update(i for i in referral_ids if i is not None)


def next_value(session: Session) -> int:
    """Take the next change number; the counter row stays locked until this transaction ends."""
    bump = (
        sa.update(ChangeCounter).where(ChangeCounter.name == COUNTER)
        .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar()
    if value is None:  # the migration creates the row; re-create it if the table was emptied
        session.execute(insert_ignoring_duplicates(session, ChangeCounter, name=COUNTER, value=0))
        value = session.execute(bump).scalar_one()
    return value


@sa.event.listens_for(Session, "before_commit")
def _stamp_touched(session: Session) -> None:
    """Give every referral touched in this transaction one new change number, just before commit."""
    if session.in_nested_transaction() or not session.info.get(PENDING):
        return  # a savepoint release is not the commit readers will see
    session.flush()
    ids = sorted(session.info.pop(PENDING))
    # The ids as literals (they are integers): a batch's 500 bound parameters cost more to send and
    # parse than the UPDATE takes to run.
    listed = sa.bindparam("ids", ids, type_=sa.Integer, literal_execute=True)
    touched = sa.update(REFERRALS).where(REFERRALS.c.id.in_(listed))
    # Lock the referral rows before the counter: the counter is then the last lock taken and only
    # held through the commit, so a transaction waiting for it never holds what its holder needs.
    session.execute(touched.values(change_seq=REFERRALS.c.change_seq))
    seq = next_value(session)
    session.execute(touched.values(change_seq=seq, changed_at=clock.now()))


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_touched(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back (or finished) transaction leaves nothing pending for the next one."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
