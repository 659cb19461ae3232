"""Meal pledges: a company offers N meals a day at an outlet; staff of the outlet's region approve.

Approval adds the meals to each day's quota counter, so it must happen exactly once: the state
change is a conditional UPDATE (pending → approved) and only its single winner touches the quota.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import state
from marketplace.accounts.models import Role, User
from marketplace.accounts.scope import covers, region_filter
from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.meals import quota
from marketplace.meals.errors import MealError
from marketplace.meals.models import MealPledge, Outlet, PledgeStatus
from marketplace.meals.outlets import company_of
from marketplace.notifications import service as notices

MAX_PLEDGE_DAYS = 366


def create_pledge(outlet: Outlet, *, actor: User, meals_per_day: int, starts_on: date, ends_on: date,
                  weekdays: int, today: date) -> MealPledge:
    """A company pledges meals at one of its outlets; it waits for staff approval."""
    org = company_of(actor)
    if outlet.organisation_id != org.id:
        raise PermissionError("not your company's outlet")
    if not 1 <= meals_per_day <= 1000:
        raise MealError(_l("pledge between 1 and 1000 meals a day"))
    if starts_on < today or ends_on < starts_on or (ends_on - starts_on).days >= MAX_PLEDGE_DAYS:
        raise MealError(_l("choose dates from today on, ending after they start, at most a year apart"))
    if not 1 <= weekdays <= 127:
        raise MealError(_l("choose at least one weekday"))
    pledge = MealPledge(outlet_id=outlet.id, organisation_id=org.id, meals_per_day=meals_per_day,
                        starts_on=starts_on, ends_on=ends_on, weekdays=weekdays, created_by_id=actor.id)
    if not quota.pledge_days(pledge):
        raise MealError(_l("none of the chosen weekdays falls between these dates"))
    db.session.add(pledge)
    db.session.flush()
    audit.record("meal_pledge.create", actor=actor, obj=pledge, region_code=outlet.street_code,
                 after={"outlet_id": outlet.id, "meals_per_day": meals_per_day, "starts_on": starts_on.isoformat(),
                        "ends_on": ends_on.isoformat(), "weekdays": weekdays, "status": pledge.status})
    return pledge


class PledgeAction(StrEnum):
    """What can be done to a meal pledge; a page asks `allowed(pledge).approve`."""

    APPROVE = "approve"  # staff of the outlet's region
    REJECT = "reject"
    WITHDRAW = "withdraw"  # the company, before review


_P = PledgeStatus
MOVES: state.Moves[PledgeAction, PledgeStatus] = state.Moves(MealPledge.status, {
    PledgeAction.APPROVE: ((_P.PENDING,), _P.APPROVED),
    PledgeAction.REJECT: ((_P.PENDING,), _P.REJECTED),
    PledgeAction.WITHDRAW: ((_P.PENDING,), _P.WITHDRAWN),
})


@state.answers(MealPledge)
def allowed(pledge: MealPledge, user: Any) -> state.Allowed[PledgeAction]:
    """Reviewers of the outlet's region approve or reject a pending pledge; its company withdraws it."""
    mine = user.is_authenticated and user.role == Role.ORG_MEMBER and user.organisation_id == pledge.organisation_id
    who = ({PledgeAction.APPROVE, PledgeAction.REJECT} if can_review(user, pledge) else set()) | (
        {PledgeAction.WITHDRAW} if mine else set())
    offered = MOVES.offered(pledge.status)
    return state.Allowed(PledgeAction, offered & who, offered)


def can_review(actor: User, pledge: MealPledge) -> bool:
    """Staff review pledges of outlets in their region; admins everywhere."""
    return covers(actor, pledge.outlet)


def review_pledge(pledge: MealPledge, *, actor: User, approve: bool, reason: str = "", now: Any) -> None:
    """Approve (the meals go on the days) or reject with a reason the company reads."""
    if not can_review(actor, pledge):
        raise PermissionError("outside your region")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise MealError(_l("a rejection needs a reason"))
    action = PledgeAction.APPROVE if approve else PledgeAction.REJECT
    MOVES.take(pledge, action, {"review_reason": reason, "reviewed_at": now, "reviewed_by_id": actor.id},
               MealError(_l("this pledge was already reviewed")))
    status = pledge.status
    days = quota.add_pledge(pledge) if approve else 0
    audit.record("meal_pledge.approve" if approve else "meal_pledge.reject", actor=actor, obj=pledge,
                 region_code=pledge.outlet.street_code, before={"status": "pending"},
                 after={"status": status, "reason": reason, "days": days})
    outlet = pledge.outlet.name
    if approve:
        notices.notify_organisation(pledge.organisation_id, "meal_pledge_approved", "meal_pledges", pledge.id, {
            "outlet": outlet, "meals": pledge.meals_per_day, "start": pledge.starts_on.isoformat(),
            "end": pledge.ends_on.isoformat()})
    else:
        notices.notify_organisation(pledge.organisation_id, "meal_pledge_rejected", "meal_pledges", pledge.id,
                                    {"outlet": outlet, "reason": reason})


def withdraw_pledge(pledge: MealPledge, *, actor: User) -> None:
    """A company takes back a pledge staff have not reviewed yet."""
    org = company_of(actor)
    if pledge.organisation_id != org.id:
        raise PermissionError("not your company's pledge")
    MOVES.take(pledge, PledgeAction.WITHDRAW, {}, MealError(_l("only a pledge waiting for approval can be withdrawn")))
    audit.record("meal_pledge.withdraw", actor=actor, obj=pledge, region_code=pledge.outlet.street_code,
                 before={"status": "pending"}, after={"status": "withdrawn"})


def reviewable_query(actor: User, status: str = PledgeStatus.PENDING) -> sa.Select:
    """Pledges of outlets in the staff member's region, oldest first."""
    query = (
        sa.select(MealPledge).join(MealPledge.outlet)
        .where(region_filter(actor, Outlet.district_code, Outlet.street_code))
        .order_by(MealPledge.created_at, MealPledge.id)
    )
    return query.where(MealPledge.status == status) if status else query


def company_pledges(org_id: int) -> list[MealPledge]:
    """A company's pledges, newest first."""
    return list(db.session.scalars(
        sa.select(MealPledge).where(MealPledge.organisation_id == org_id).order_by(MealPledge.id.desc())
    ))
