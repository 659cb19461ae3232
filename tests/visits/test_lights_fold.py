"""穗救易 lights: a renovation project's light folds into its household's and its pledging organisation's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.lights.recompute import recompute
from marketplace.organisations.models import Organisation
from marketplace.projects import service
from tests.conftest import make_org, make_user
from tests.projects.support import make_project


def _lights(project, org):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(Household, project.household_id).light, db.session.get(Organisation, org.id).light


def test_a_late_renovation_lights_its_household_and_the_pledging_organisation_red(app):
    staff = make_user(Role.STAFF)
    project = make_project("plan_approved", staff=staff)
    org = make_org(kind="company")
    service.pledge(project, project.lines[0], actor=org.members[0], kind="money", value_fen=100_000)
    db.session.commit()
    recompute(datetime.now(UTC), full=True)
    db.session.commit()
    assert _lights(project, org) == ("green", "green")  # on time: the project's green light shows
    service.set_due(project, actor=staff, milestone="covered", due_on=today_shanghai() + timedelta(days=3))
    db.session.commit()
    recompute(datetime.now(UTC), full=True)
    db.session.commit()
    assert _lights(project, org) == ("yellow", "yellow")
    service.set_due(project, actor=staff, milestone="covered", due_on=today_shanghai() - timedelta(days=1))
    db.session.commit()
    recompute(datetime.now(UTC), full=True)
    db.session.commit()
    assert _lights(project, org) == ("red", "red")
