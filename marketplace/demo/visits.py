"""Demo visits and follow-ups: plans assigned to caseworkers and a social-work project, visits due,
overdue and past the grace, visits done (one finding a need), follow-ups due and done.

Plans count from when a household came on file, which for the demo is the moment it was loaded;
their start is moved back (as loop.py moves the needs' dates) so every list has something to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.households.service import NeedDraft
from marketplace.needs.models import Need, NeedStatus
from marketplace.organisations.models import Organisation
from marketplace.settings import service as settings
from marketplace.visits import followups, plans, service
from marketplace.visits.models import Visit, VisitPlan

PROJECT = "北京街道社工站"
SEEN = ["老人精神尚好，家中整洁，药品充足。", "家中冰箱漏水，老人行动不便，独自做饭有困难。",
        "孩子在做作业，家长反映学习用品不够。", "无人应门，邻居说老人去医院复诊了。",
        "屋顶有渗水痕迹，雨天需要用盆接水。"]
COMMENTS = ["物品很实用，谢谢大家。", "送来得很及时。", "希望以后还能有人常来看看。", ""]


def load_visits(staff: dict[str, User]) -> None:
    """Add the demo's visits and follow-ups once (nothing if any visit is on file)."""
    now = clock.now()
    plans.sync(now)
    db.session.flush()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Visit)):
        return
    grace = settings.get("visit_grace_days")
    project = db.session.scalar(sa.select(Organisation).where(Organisation.name == PROJECT))
    rows = db.session.scalars(
        sa.select(VisitPlan).join(Household, Household.id == VisitPlan.household_id)
        .where(VisitPlan.interval_days > 0).order_by(Household.district_code, Household.id)).all()
    found_one = False
    for i, plan in enumerate(rows):
        household = plan.household
        actor = staff.get(household.street_code or "") or staff.get(household.district_code)
        if actor is None:
            continue
        if project is not None and household.district_code == "440104" and i % 6 == 5:
            plan.organisation_id = project.id
        else:
            plan.caseworker_id = actor.id
        days = plan.interval_days
        pattern = i % 5
        if pattern == 0:  # never visited, past the grace: red
            plan.started_at = now - timedelta(days=days + grace + 6 + i % 9)
        elif pattern == 1:  # overdue: yellow
            plan.started_at = now - timedelta(days=days + 2 + i % 5)
        elif pattern == 2:  # due within the week
            plan.started_at = now - timedelta(days=days - 3)
        else:  # visited lately
            plan.started_at = now - timedelta(days=days * 2)
            db.session.flush()
            visited = now - timedelta(days=2 + i % 11, hours=3)
            found = None
            if not found_one and pattern == 3:
                found_one = True
                today = clock.today()
                found = NeedDraft(kind="wish", category="daily_living", title="一台小冰箱",
                                  story="独居长者，冰箱漏水已无法使用，夏天饭菜难以保存。", quantity=1, value_fen=90000,
                                  is_urgent=False, claim_deadline=today + timedelta(days=14),
                                  fulfil_by=today + timedelta(days=28))
            service.record_visit(household, service.VisitReport(
                visited_at=visited, visitors=f"{actor.display_name}、居委会委员", met=pattern == 3 or i % 3 != 0,
                seen=SEEN[i % len(SEEN)], found=found), actor=actor)
    db.session.flush()
    _follow_ups(staff, now)


def _follow_ups(staff: dict[str, User], now: datetime) -> None:
    """Closed needs: the oldest due one of each street stays due; the others get a follow-up (some
    early), satisfaction 3–5, a few households not reached."""
    due_before = followups.due_before(now)
    closed = db.session.scalars(
        sa.select(Need).where(Need.status == NeedStatus.CLOSED).order_by(Need.closed_at, Need.id)).all()
    left_due: set[str | None] = set()
    for i, need in enumerate(closed):
        if need.closed_at <= due_before and need.street_code not in left_due:
            left_due.add(need.street_code)
            continue
        actor = staff.get(need.street_code or "") or staff.get(need.district_code)
        if actor is None or (need.closed_at > due_before and i % 2):
            continue
        reached = i % 7 != 5
        followups.record_followup(need, followups.Answer(
            reached=reached, solved=reached and i % 8 != 3, satisfaction=(5 - i % 3) if reached else None,
            comments=COMMENTS[i % len(COMMENTS)] if reached else "电话无人接听，已留言。"), actor=actor)
