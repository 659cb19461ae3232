"""Lights move with the clock across every threshold; changes are recorded and reds notified."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.lights.models import LightChange
from marketplace.lights.notify import RED_KINDS
from marketplace.lights.recompute import recompute
from marketplace.needs import transitions
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from marketplace.organisations.models import Organisation
from tests.conftest import make_need, make_user, tiny_jpeg

DAY = timedelta(days=1)


def _at(need: Need, days: float) -> datetime:
    """A moment `days` after the need was published."""
    return need.published_at + timedelta(days=days)


def _light(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id).light


@pytest.mark.parametrize(("days", "expected"), [(0, "green"), (2.9, "green"), (3.01, "yellow"), (6.9, "yellow"),
                                                 (7.01, "red"), (30, "red")])
def test_unclaimed_wish_by_days_since_published(app, days, expected):
    need = make_need("published")
    recompute(_at(need, days))
    assert _light(Need, need.id) == expected
    assert _light(Household, need.household_id) == expected


def test_claimed_need_by_promised_date(app):
    need = make_need("claimed")
    promised = need.promised_by  # today + 7 (Shanghai)
    noon = datetime(promised.year, promised.month, promised.day, 12, tzinfo=SHANGHAI)
    expectations = [(-3, "green"), (-2, "yellow"), (0, "yellow"), (1, "red")]
    for offset, expected in expectations:
        recompute(noon + offset * DAY)
        assert _light(Need, need.id) == expected, offset
        assert _light(Organisation, need.claimed_by_id) == expected, offset


def test_delivered_awaiting_confirmation(app):
    need = make_need("delivered")
    for days, expected in [(2.9, "green"), (3.1, "yellow"), (5.1, "red")]:
        recompute(need.delivered_at + days * DAY)
        assert _light(Need, need.id) == expected


def test_closed_need_loses_its_light_and_household_follows(app):
    need = make_need("delivered")
    recompute(need.delivered_at + 6 * DAY)
    assert _light(Need, need.id) == "red" and _light(Household, need.household_id) == "red"
    transitions.confirm_by_caseworker(db.session.get(Need, need.id), actor=make_user(Role.ADMIN), rating=5,
                                      feedback="")
    db.session.commit()
    recompute(need.delivered_at + 6 * DAY)
    assert _light(Need, need.id) is None and _light(Household, need.household_id) is None


def test_household_red_when_a_need_waits_without_help_for_60_days(app):
    from marketplace.settings import service as settings

    need = make_need("published")
    admin = make_user(Role.ADMIN)
    settings.set_value("light_wish_red_days", 90, actor=admin)  # so only the 60-day rule can make it red
    settings.set_value("light_wish_yellow_days", 80, actor=admin)
    db.session.commit()
    recompute(_at(need, 59))
    assert _light(Need, need.id) == "green" and _light(Household, need.household_id) == "green"
    recompute(_at(need, 61))  # the frequent run follows changed needs only
    assert _light(Household, need.household_id) == "green"
    recompute(_at(need, 61), full=True)  # the hourly full run applies the time-only rule
    assert _light(Need, need.id) == "green" and _light(Household, need.household_id) == "red"


def test_recompute_is_idempotent_and_records_history(app):
    need = make_need("published")
    first = recompute(_at(need, 8))
    assert first.needs == 1 and first.households == 1
    again = recompute(_at(need, 8))
    assert (again.needs, again.households, again.organisations, again.notified) == (0, 0, 0, 0)
    history = db.session.scalars(
        sa.select(LightChange).where(LightChange.object_type == "need", LightChange.object_id == need.id)
    ).all()
    # green the moment it was published (lights/live.py), red when the periodic run found it late
    assert [(h.old_light, h.new_light) for h in history] == [(None, "green"), ("green", "red")]


def test_turning_red_notifies_the_claiming_org_and_region_staff_once(app, as_role):
    need = make_need("claimed")
    staff = make_user(Role.STAFF, region="440104")
    far_staff = make_user(Role.STAFF, region="440106")
    member = need.claimed_by.members[0]
    promised = need.promised_by
    late = datetime(promised.year, promised.month, promised.day, 12, tzinfo=SHANGHAI) + 2 * DAY
    recompute(late - 4 * DAY)  # green
    recompute(late)  # red
    recompute(late + DAY)  # still red: no new notification
    inbox = {u.id: db.session.scalars(sa.select(Notification).where(
        Notification.user_id == u.id, Notification.kind.in_(RED_KINDS))).all() for u in (staff, far_staff, member)}
    assert [n.kind for n in inbox[member.id]] == ["need_red"] and inbox[member.id][0].object_id == need.id
    assert [(n.kind, n.count) for n in inbox[staff.id]] == [("needs_red_digest", 1)]
    assert inbox[far_staff.id] == []


def test_household_and_organisation_take_their_worst_open_need(app):
    """Worst of several: a red need makes its household and claiming organisation red; once it is
    no longer open (or no longer claimed) the others decide, and nothing open leaves no light."""
    late, on_time = make_need("claimed"), make_need("claimed")
    org_id = late.claimed_by_id
    db.session.execute(sa.update(Need).where(Need.id == on_time.id).values(claimed_by_id=org_id))
    db.session.execute(sa.update(Need).where(Need.id == late.id).values(promised_by=late.promised_by - 10 * DAY))
    db.session.commit()
    now = datetime.now(SHANGHAI)
    recompute(now)
    assert (_light(Need, late.id), _light(Need, on_time.id)) == ("red", "green")
    assert _light(Organisation, org_id) == "red" and _light(Household, late.household_id) == "red"
    member = db.session.get(Organisation, org_id).members[0]
    transitions.add_evidence(db.session.get(Need, late.id), actor=member, kind="photo",
                             stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(db.session.get(Need, late.id), actor=member)
    db.session.commit()
    recompute(now)
    # Delivered just now: green for its household; the organisation is judged on its claims only.
    assert _light(Need, late.id) == "green" and _light(Household, late.household_id) == "green"
    assert _light(Organisation, org_id) == "green"
    transitions.release(db.session.get(Need, on_time.id), actor=member, reason="换人")
    db.session.commit()
    recompute(now)
    assert _light(Organisation, org_id) is None


def test_a_light_change_is_not_an_edit(app):
    """Lights are derived: turning red must not move a need or household up queues ordered by last change."""
    need = make_need("published")
    before = (db.session.get(Need, need.id).updated_at, db.session.get(Household, need.household_id).updated_at)
    recompute(_at(need, 8))
    db.session.expire_all()
    assert _light(Need, need.id) == "red" and _light(Household, need.household_id) == "red"
    assert (db.session.get(Need, need.id).updated_at, db.session.get(Household, need.household_id).updated_at) == before
