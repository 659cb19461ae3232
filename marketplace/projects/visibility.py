"""Who sees a renovation project's photos (survey, inspection and maintenance photos of a home).

A photo is either *public*, shown with its caption on the project's public page to anyone, because
staff of the region chose it for that page (an audited decision, `service.publish_photo`), or
*private*, the default for every photo taken of a house. A private photo is shown only to:

- staff whose region covers the project (`accounts/scope.covers`; admins cover every region), and
- members of an APPROVED organisation that holds a live pledge on the project.

A live pledge is one that is pledged, delivered or confirmed: the organisation is preparing, has
brought, or has given materials, labour or money to this house and needs to see what it is for. A
withdrawn pledge is not live: the organisation has left the project. A pending or rejected
organisation sees nothing private, whatever its pledges. Everyone else is answered as if the photo
did not exist (404), so a photo's id tells nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.accounts.scope import covers
from marketplace.extensions import db
from marketplace.projects.models import Pledge, PledgeStatus, Project, ProjectPhoto

LIVE_PLEDGES = (PledgeStatus.PLEDGED, PledgeStatus.DELIVERED, PledgeStatus.CONFIRMED)


def has_live_pledge(organisation_id: int | None, project: Project) -> bool:
    """Whether the organisation has a pledge on the project that is not withdrawn."""
    if organisation_id is None:
        return False
    return db.session.scalar(
        sa.select(sa.exists().where(Pledge.project_id == project.id, Pledge.organisation_id == organisation_id,
                                    Pledge.status.in_(LIVE_PLEDGES)))
    )


def may_see_private(user: Any, project: Project) -> bool:
    """Whether the user sees the project's private photos: its region's staff, or an approved pledger."""
    if not getattr(user, "is_authenticated", False):
        return False
    if covers(user, project):
        return True
    org = user.organisation if user.role == Role.ORG_MEMBER else None
    return org is not None and org.is_approved and has_live_pledge(org.id, project)


def may_see_photo(user: Any, photo: ProjectPhoto) -> bool:
    """Whether the user may open this photo: anyone when it is public, else as `may_see_private`."""
    return photo.is_public or may_see_private(user, photo.project)


def public_photos(project: Project) -> list[ProjectPhoto]:
    """The photos staff chose for the project's public page."""
    return [photo for photo in project.photos if photo.is_public]


def private_photos(project: Project, user: Any) -> list[ProjectPhoto]:
    """The private photos this user may see (none for the public)."""
    if not may_see_private(user, project):
        return []
    return [photo for photo in project.photos if not photo.is_public]
