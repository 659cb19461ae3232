"""Due-soon reminders: two days before a claim's promised date, its organisation hears of it, once.

Set-based: one INSERT … SELECT records the claims falling due (a row per claim and promised date,
unique, so a second run, or two at once, cannot remind twice), and one more makes the notices of
exactly the rows this run recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.clock import SHANGHAI, local_date
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.needs.models import Claim, ClaimReminder, ClaimStatus, Need, NeedStatus
from marketplace.notifications import service as notices

DAYS_BEFORE = 2


def remind_due_soon(now: datetime) -> dict[str, int]:
    """Remind the organisations whose undelivered claims are due within DAYS_BEFORE days, once each.

    A claim made today is not reminded (its organisation has just chosen the date), nor one already
    delivered; one the scheduler missed on its day is still reminded up to the promised date itself.
    """
    today = local_date(now)
    start_of_today = datetime(today.year, today.month, today.day, tzinfo=SHANGHAI)
    last = db.session.scalar(sa.select(sa.func.max(ClaimReminder.id))) or 0
    reminded = sa.select(ClaimReminder.id).where(ClaimReminder.claim_id == Claim.id,
                                                 ClaimReminder.promised_by == Claim.promised_by)
    due = (
        sa.select(Claim.id, Claim.promised_by, sa.literal(now, UTCDateTime))
        .join(Need, Need.id == Claim.need_id)
        # A part of a need taken in parts is reminded while it is undelivered, whatever its need's state.
        .where(Claim.status == ClaimStatus.ACTIVE,
               sa.or_(Need.status == NeedStatus.CLAIMED,
                      sa.and_(Need.claimed_by_id.is_(None), Claim.delivered_at.is_(None))),
               Claim.promised_by >= today, Claim.promised_by <= today + timedelta(days=DAYS_BEFORE),
               Claim.created_at < start_of_today, ~sa.exists(reminded))
    )
    record = sa.insert(ClaimReminder.__table__).from_select(["claim_id", "promised_by", "sent_at"], due)
    claims = db.session.execute(record.execution_options(preserve_rowcount=True)).rowcount
    if not claims:
        return {"claims": 0, "notified": 0}
    recipients = (
        sa.select(User.id.label("user_id"), Need.id.label("object_id"),
                  notices.json_params(title=Need.title, date=ClaimReminder.promised_by).label("params"))
        .select_from(ClaimReminder)
        .join(Claim, Claim.id == ClaimReminder.claim_id)
        .join(Need, Need.id == Claim.need_id)
        .join(User, User.organisation_id == Claim.organisation_id)
        .where(ClaimReminder.id > last, User.role == Role.ORG_MEMBER, User.is_enabled.is_(True))
    )
    return {"claims": claims, "notified": notices.notify_from("claim_due_soon", recipients, object_type="needs",
                                                              now=now)}
