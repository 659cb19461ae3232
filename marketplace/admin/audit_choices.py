"""The audit log's filters as choices in words: actions grouped by what they are about, object types,
the staff and admin accounts, and the regions; nobody types a code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Role, User
from marketplace.admin.forms import ROLE_LABELS
from marketplace.audit import words
from marketplace.audit.models import AuditEvent
from marketplace.audit.service import recorded
from marketplace.extensions import db
from marketplace.forms import region_choices

Options = list[tuple[str, str]]


@dataclass(frozen=True)
class Choices:
    """Everything the filter form offers, each select as (value, words) pairs, grouped where long."""

    actions: list[tuple[str, Options]]
    object_types: Options
    actors: list[tuple[str, Options]]
    regions: list[tuple[str, Options]]

    def allows(self, name: str, value: str) -> bool:
        """Whether a submitted value is one of the select's choices (anything else filters nothing)."""
        grouped = {"actions": self.actions, "actors": self.actors, "regions": self.regions}
        if name == "object_types":
            return any(value == v for v, _text in self.object_types)
        return any(value == v for _group, options in grouped[name] for v, _text in options)


def choices() -> Choices:
    """The filter form's choices; actions and object types found in old rows are offered by their raw names."""
    return Choices(_actions(recorded(AuditEvent.action)), _object_types(recorded(AuditEvent.object_type)),
                   _actors(), _grouped(region_choices()))


def _actions(found: Iterable[str]) -> list[tuple[str, Options]]:
    names = list(words.ACTIONS) + sorted(set(found) - set(words.ACTIONS))
    groups: dict[str, Options] = {}
    for name in names:
        group = words.group_of(name) if words.group_of(name) in words.GROUPS else ""
        if group not in groups:
            groups[group] = [(f"{group}.", _("all: %(group)s", group=words.group_words(group)))] if group else []
        groups[group].append((name, words.action_words(name)))
    order = list(words.GROUPS) + [""]
    return [(words.group_words(g), groups[g]) for g in order if g in groups]


def _object_types(found: Iterable[str]) -> Options:
    names = list(words.OBJECTS) + sorted(set(found) - set(words.OBJECTS))
    return [(name, words.noun(name)) for name in names]


def _actors() -> list[tuple[str, Options]]:
    """Staff and admin accounts, the ones whose work the log mostly holds."""
    rows = db.session.scalars(sa.select(User).where(User.role.in_([Role.ADMIN, Role.STAFF])).order_by(User.email))
    groups: dict[str, Options] = {Role.ADMIN: [], Role.STAFF: []}
    for user in rows:
        text = user.email if user.display_name in ("", user.email) else f"{user.display_name} · {user.email}"
        groups[user.role].append((str(user.id), text))
    return [(str(ROLE_LABELS[role]), options) for role, options in groups.items() if options]


def _grouped(flat: Iterable[object]) -> list[tuple[str, Options]]:
    groups: dict[str, Options] = {}
    for choice in flat:
        groups.setdefault(str(choice.optgroup or ""), []).append((choice.value, str(choice.label)))  # type: ignore[attr-defined]
    return list(groups.items())
