"""Each part has its own light; the need's light is the worst of its parts (and of its waiting)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace.clock import SHANGHAI
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from marketplace.needs import transitions
from marketplace.needs.models import Claim, Need
from marketplace.notifications.models import Notification
from marketplace.organisations.models import Organisation
from tests.conftest import make_org
from tests.parts.conftest import deliver_part, soon


def _noon(day):  # type: ignore[no-untyped-def]
    return datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def _light(model, object_id):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(model, object_id).light


def test_the_late_part_makes_the_need_and_its_organisation_red(need120):
    late_org, calm_org = make_org(name="迟到组织"), make_org(name="准时组织")
    late = transitions.claim(need120, actor=late_org.members[0], promised_by=soon(2), quantity=60)
    calm = transitions.claim(need120, actor=calm_org.members[0], promised_by=soon(20), quantity=60)
    db.session.commit()
    recompute(_noon(soon(1)))
    assert (_light(Claim, late.id), _light(Claim, calm.id), _light(Need, need120.id)) == ("yellow", "green", "yellow")
    recompute(_noon(soon(3)))  # past the first part's promise
    assert (_light(Claim, late.id), _light(Claim, calm.id), _light(Need, need120.id)) == ("red", "green", "red")
    assert _light(Organisation, late_org.id) == "red" and _light(Organisation, calm_org.id) == "green"
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "need_red")).all()
    assert late_org.members[0].id in told and calm_org.members[0].id not in told


def test_a_partly_taken_need_still_lights_for_its_waiting(need120):
    transitions.claim(need120, actor=make_org().members[0], promised_by=soon(20), quantity=30)
    db.session.commit()
    recompute(need120.published_at + timedelta(days=8))  # the rest has waited past the red threshold
    assert _light(Need, need120.id) == "red"


def test_a_confirmed_part_has_no_light_and_a_closed_need_none(need120, app):
    from marketplace.accounts.models import Role
    from tests.conftest import make_user

    staff = make_user(Role.STAFF, region="440104")
    a, b = make_org().members[0], make_org().members[0]
    pa = transitions.claim(need120, actor=a, promised_by=soon(5), quantity=60)
    pb = transitions.claim(need120, actor=b, promised_by=soon(5), quantity=60)
    for member in (a, b):
        deliver_part(need120, member)
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="", part=pa)
    transitions.confirm_by_caseworker(need120, actor=staff, rating=5, feedback="", part=pb)
    db.session.commit()
    recompute(_noon(soon(1)))
    assert (_light(Claim, pa.id), _light(Claim, pb.id), _light(Need, need120.id)) == (None, None, None)
