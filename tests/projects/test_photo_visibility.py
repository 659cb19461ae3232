"""Project photos: private to the region's staff and approved pledging organisations, unless staff show
one on the public page with its caption. Everyone else gets a 404, as for a photo that does not exist."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace import state
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations import service as organisations
from marketplace.projects import service, visibility
from marketplace.projects.models import PhotoVisibility, Project, ProjectPhoto
from marketplace.projects.service import PhotoAction
from marketplace.web import Anonymous
from tests.conftest import make_org, make_user, sign_in
from tests.projects.support import make_project


@pytest.fixture
def setting(app):  # type: ignore[no-untyped-def]
    """A project (北京街道, 越秀区) with two survey photos, and everyone who might ask for them."""
    admin = make_user(Role.ADMIN)
    project = make_project("plan_approved", lines=(400_000, 400_000), staff=admin, photos=2)
    pledger = make_org(kind="company")
    service.pledge(project, project.lines[0], actor=pledger.members[0], kind="money", value_fen=10_000)
    rejected_pledger = make_org(kind="company")
    service.pledge(project, project.lines[0], actor=rejected_pledger.members[0], kind="money", value_fen=10_000)
    organisations.review(rejected_pledger, actor=admin, approve=False, reason="资质被撤销")
    withdrawn = make_org(kind="company")
    item = service.pledge(project, project.lines[1], actor=withdrawn.members[0], kind="money", value_fen=10_000)
    service.withdraw_pledge(item, actor=withdrawn.members[0])
    db.session.commit()
    people = {
        "admin": admin,
        "district_staff": make_user(Role.STAFF, region="440104"),
        "street_staff": make_user(Role.STAFF, region=project.street_code),
        "other_street_staff": make_user(Role.STAFF, region="440104001"),
        "other_region_staff": make_user(Role.STAFF, region="440106"),
        "pledger": pledger.members[0],
        "rejected_pledger": rejected_pledger.members[0],
        "withdrawn_pledger": withdrawn.members[0],
        "approved_no_pledge": make_org().members[0],
        "pending": make_org(status="pending").members[0],
        "rejected": make_org(status="rejected").members[0],
        "outlet_staff": make_user(Role.OUTLET_STAFF),
    }
    return project, people


SEES_PRIVATE = {"admin", "district_staff", "street_staff", "pledger"}


def _get(app, user, url):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client.get(url)


def test_a_private_photo_is_served_only_to_region_staff_and_approved_pledgers(app, setting):
    project, people = setting
    photo = project.photos[0]
    assert photo.visibility == PhotoVisibility.PRIVATE  # survey photos of a house are private by default
    for who, user in people.items():
        response = _get(app, user, f"/projects/photos/{photo.id}")
        expected = 200 if who in SEES_PRIVATE else 404
        assert response.status_code == expected, (who, response.status_code)
        if expected == 200:
            assert response.mimetype == "image/jpeg" and "no-store" in response.headers["Cache-Control"]
    assert _get(app, None, f"/projects/photos/{photo.id}").status_code == 404  # anonymous: no sign-in page either
    # A photo that does not exist answers exactly the same.
    assert _get(app, people["approved_no_pledge"], "/projects/photos/999999").status_code == 404


def test_the_public_project_page_shows_private_photos_only_to_those_who_may_see_them(app, setting):
    project, people = setting
    urls = [f"/projects/photos/{p.id}" for p in project.photos]
    for who, user in people.items():
        page = _get(app, user, f"/projects/{project.id}").get_data(as_text=True)
        assert all((url in page) == (who in SEES_PRIVATE) for url in urls), who
    anonymous = _get(app, None, f"/projects/{project.id}").get_data(as_text=True)
    assert not any(url in anonymous for url in urls)


def test_staff_show_a_photo_with_its_caption_on_the_public_page_for_anyone(app, setting):
    project, people = setting
    photo, other = project.photos
    staff = app.test_client()
    sign_in(staff, people["street_staff"])
    page = staff.get(f"/staff/projects/{project.id}").get_data(as_text=True)
    assert f'action="/staff/projects/photos/{photo.id}/publish"' in page
    leak = staff.post(f"/staff/projects/photos/{photo.id}/publish", data={"caption": "李桂芳家的屋顶"},
                      follow_redirects=True)
    assert "flash-error" in leak.get_data(as_text=True)  # the household's name in a public caption
    assert db.session.get(ProjectPhoto, photo.id).visibility == PhotoVisibility.PRIVATE
    staff.post(f"/staff/projects/photos/{photo.id}/publish", data={"caption": "改造前：屋顶三处漏雨"})
    db.session.expire_all()
    assert db.session.get(ProjectPhoto, photo.id).is_public
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "project.photo_public"))
    assert event.actor_id == people["street_staff"].id and event.after == {"photo_id": photo.id,
                                                                          "caption": "改造前：屋顶三处漏雨"}

    anonymous = app.test_client()
    page = anonymous.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/projects/photos/{photo.id}" in page and "改造前：屋顶三处漏雨" in page
    assert f"/projects/photos/{other.id}" not in page  # the other one stays private
    served = anonymous.get(f"/projects/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    for who in ("pending", "rejected", "other_region_staff", "approved_no_pledge"):
        assert _get(app, people[who], f"/projects/photos/{photo.id}").status_code == 200, who
    assert anonymous.get(f"/projects/photos/{other.id}").status_code == 404

    staff.post(f"/staff/projects/photos/{photo.id}/unpublish")
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "project.photo_private"))
    assert anonymous.get(f"/projects/photos/{photo.id}").status_code == 404


def test_staff_of_another_region_cannot_show_or_hide_a_photo(app, setting):
    project, people = setting
    photo = project.photos[0]
    other = app.test_client()
    sign_in(other, people["other_region_staff"])
    assert other.post(f"/staff/projects/photos/{photo.id}/publish", data={"caption": "屋顶"}).status_code == 403
    with pytest.raises(PermissionError):
        service.publish_photo(photo, actor=people["other_street_staff"], caption="屋顶")
    assert db.session.get(ProjectPhoto, photo.id).visibility == PhotoVisibility.PRIVATE


def test_what_a_photo_offers_is_what_its_operations_accept(setting):
    project, people = setting
    photo = project.photos[0]
    people = {**people, "anonymous": Anonymous()}
    operations = {PhotoAction.PUBLISH: lambda u: service.publish_photo(photo, actor=u, caption="屋顶"),
                  PhotoAction.UNPUBLISH: lambda u: service.unpublish_photo(photo, actor=u)}
    for status in PhotoVisibility:
        photo.visibility = status
        db.session.flush()
        for who, user in people.items():
            for action, operation in operations.items():
                db.session.refresh(photo)
                offered = action in state.allowed(photo, user)
                savepoint = db.session.begin_nested()
                try:
                    operation(user)
                    accepted = True
                except (DomainError, PermissionError):
                    accepted = False
                finally:
                    savepoint.rollback()
                assert offered == accepted, (status, who, action)
                assert offered == (who in SEES_PRIVATE - {"pledger"} and PHOTO_TARGET[action] != status)


PHOTO_TARGET = {PhotoAction.PUBLISH: PhotoVisibility.PUBLIC, PhotoAction.UNPUBLISH: PhotoVisibility.PRIVATE}


def test_live_pledges_are_pledged_delivered_or_confirmed(setting):
    project, people = setting
    pledger = people["pledger"]
    assert visibility.has_live_pledge(pledger.organisation_id, project)
    assert not visibility.has_live_pledge(people["withdrawn_pledger"].organisation_id, project)
    assert not visibility.has_live_pledge(None, project)
    delivered = make_org(kind="company")
    item = service.pledge(project, project.lines[1], actor=delivered.members[0], kind="money", value_fen=10_000)
    service.deliver_pledge(item, actor=delivered.members[0])
    confirmed = make_org(kind="company")
    item = service.pledge(project, project.lines[1], actor=confirmed.members[0], kind="money", value_fen=10_000)
    service.deliver_pledge(item, actor=confirmed.members[0])
    service.confirm_pledge(item, actor=people["admin"])
    photo = db.session.get(Project, project.id).photos[0]
    assert visibility.may_see_photo(delivered.members[0], photo)
    assert visibility.may_see_photo(confirmed.members[0], photo)
    assert not visibility.may_see_photo(Anonymous(), photo)
