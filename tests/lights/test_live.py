"""A transition moves its need's light at once, and the light says why in words."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace import clock, storage
from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.lights.models import LightChange
from marketplace.lights.notify import RED_KINDS
from marketplace.lights.recompute import recompute
from marketplace.needs import transitions
from marketplace.needs.light_reasons import need_reason
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from tests.conftest import make_need, make_org, make_user, tiny_jpeg

DAY = timedelta(days=1)


def _fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def test_a_claim_turns_a_red_wish_green_without_waiting_for_the_scheduler(app, as_role):
    need = make_need("published")
    recompute(need.published_at + 8 * DAY)  # waited too long: red, and so is its household
    db.session.commit()
    assert _fresh(Need, need.id).light == "red" and _fresh(Household, need.household_id).light == "red"
    member = make_org().members[0]
    transitions.claim(_fresh(Need, need.id), actor=member, promised_by=clock.today() + 10 * DAY)
    db.session.commit()
    assert _fresh(Need, need.id).light == "green"  # no recompute ran
    assert _fresh(Household, need.household_id).light == "green"
    page = as_role_page(as_role, need)
    assert "等待认领" not in page and "逾期" not in page


def as_role_page(as_role, need) -> str:
    from marketplace.accounts.models import Role

    return as_role(Role.STAFF, region="440104").get(f"/staff/needs/{need.id}").get_data(as_text=True)


def test_a_refresh_and_the_periodic_run_never_notify_twice(app):
    from marketplace.accounts.models import Role

    make_user(Role.STAFF, region="440104")
    need = make_need("claimed")
    promised = need.promised_by
    late = datetime(promised.year, promised.month, promised.day, 12, tzinfo=SHANGHAI) + 2 * DAY
    recompute(late)  # red: one notice per reader
    db.session.commit()
    reds = sa.select(sa.func.count()).select_from(Notification).where(Notification.kind.in_(RED_KINDS))
    before = db.session.scalar(reds)
    assert before == 2  # the claimer's member and the district's staff
    need = _fresh(Need, need.id)
    member = need.claimed_by.members[0]
    transitions.add_evidence(need, actor=member, kind="photo", stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(need, actor=member)  # a live refresh: green
    db.session.commit()
    recompute(clock.now())  # the periodic run, at the delivery's time, finds nothing left to do
    db.session.commit()
    assert db.session.scalar(reds) == before
    keys = db.session.scalars(sa.select(LightChange.batch).where(LightChange.object_id == need.id,
                                                                  LightChange.object_type == "need")).all()
    assert any(key < 0 for key in keys)  # the refresh wrote under its own key
    assert _fresh(Need, need.id).light == "green"


def test_the_badge_says_why(app, as_role, client):
    from marketplace.accounts.models import Role

    waiting = make_need("published")
    recompute(waiting.published_at + 9 * DAY)
    db.session.commit()
    nine_days_on = clock.local_date(waiting.published_at) + 9 * DAY
    assert need_reason(_fresh(Need, waiting.id), nine_days_on) == "等待认领9天"
    late = make_need("claimed")
    assert need_reason(late, late.promised_by + 2 * DAY) == "超过承诺日期2天"
    assert need_reason(late, late.promised_by - DAY) == "距承诺日期还有1天"
    assert need_reason(late, late.promised_by) == "今天是承诺日期"
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get(f"/staff/needs/{late.id}").get_data(as_text=True)
    assert "距承诺日期还有7天" in page  # the reason, not a bare colour word
    staff.get("/lang/en")
    assert "promised in 7 days" in staff.get(f"/staff/needs/{late.id}").get_data(as_text=True)
