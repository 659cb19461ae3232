"""Which texts already shown to organisations or the public the story guard would now refuse.

The guard (needs/privacy) runs on every write; texts written before it was as strict as it is now
are found here, for staff to rewrite (`flask privacy scan`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.needs.models import PUBLIC_STATUSES, Need, NeedStatus
from marketplace.needs.privacy import Leak, leaks_in
from marketplace.projects.models import Project


@dataclass(frozen=True)
class Finding:
    """One public text the guard refuses: which object and field, what in it, and where staff fix it."""

    object_type: str  # "need", "project", "plan_line" or "photo"
    object_id: int
    field: str
    leak: Leak
    endpoint: str  # the staff page where the text is rewritten
    endpoint_id: int


def _need_texts() -> Iterator[tuple[Need, str, str]]:
    needs = db.session.scalars(sa.select(Need).where(Need.status.in_(PUBLIC_STATUSES)).order_by(Need.id)
                               .options(selectinload(Need.household)))
    for need in needs:
        yield need, "title", need.title
        yield need, "story", need.story
        if need.status == NeedStatus.CLAIMED and need.last_reason:  # the claimer reads why staff returned it
            yield need, "last_reason", need.last_reason


def _project_texts() -> Iterator[tuple[str, int, Project, str, str]]:
    projects = db.session.scalars(sa.select(Project).order_by(Project.id).options(
        selectinload(Project.household), selectinload(Project.lines), selectinload(Project.photos)))
    for project in projects:
        yield "project", project.id, project, "title", project.title
        yield "project", project.id, project, "story", project.story
        for line in project.lines:
            yield "plan_line", line.id, project, "description", line.description
            yield "plan_line", line.id, project, "quantity", line.quantity
        for photo in project.photos:
            if photo.is_public:  # a private photo's caption is empty until staff show it
                yield "photo", photo.id, project, "caption", photo.caption


def scan() -> tuple[int, list[Finding]]:
    """(how many texts were read, the leaks found in them); audited by counts and ids, never the words."""
    checked, found = 0, []
    for need, field, text in _need_texts():
        checked += 1
        found += [Finding("need", need.id, field, leak, "staff_needs.need_detail", need.id)
                  for leak in leaks_in(text, need.household)]
    for kind, object_id, project, field, text in _project_texts():
        checked += 1
        found += [Finding(kind, object_id, field, leak, "staff_projects.detail", project.id)
                  for leak in leaks_in(text, project.household)]
    audit.record("privacy.scan", actor_label="cli", after={
        "checked": checked, "refused": len(found),
        "needs": sorted({f.object_id for f in found if f.object_type == "need"}),
        "projects": sorted({f.endpoint_id for f in found if f.object_type != "need"}),
    })
    return checked, found
