"""The audit log as people read it: who did what to which object, and which fields it changed.

Joins the vocabulary (`audit/words.py`) to the labels of each feature's states, the names of the
accounts and organisations an event names (one query each for a whole page), and links to the
pages the reader may open. The admin log, its CSV export and the household, need and project
histories all read events through `entries`; nothing here shows more than the stored row holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _

from marketplace import clock, money, taxonomy
from marketplace.accounts.access import may_open
from marketplace.accounts.models import User
from marketplace.admin.forms import ROLE_LABELS
from marketplace.audit import words
from marketplace.audit.models import AuditEvent
from marketplace.donations.models import STATUS_LABELS as DONATION_STATUS_LABELS
from marketplace.extensions import db
from marketplace.households.models import REFERRAL_STATUS_LABELS
from marketplace.leads.models import CLOSE_REASON_LABELS, LEAD_STATUS_LABELS, REPORTER_KIND_LABELS
from marketplace.matching.models import DECLINE_REASON_LABELS, OFFER_STATUS_LABELS
from marketplace.meals.models import PLEDGE_STATUS_LABELS as MEAL_PLEDGE_STATUS_LABELS
from marketplace.meals.models import WEEKDAY_LABELS
from marketplace.needs.models import EVIDENCE_KIND_LABELS, NEED_STATUS_LABELS
from marketplace.organisations.models import STATUS_LABELS as ORG_STATUS_LABELS
from marketplace.organisations.models import Organisation
from marketplace.paging import MAX_ID
from marketplace.projects.models import MILESTONE_LABELS, PLEDGE_KINDS
from marketplace.regions.models import Region
from marketplace.settings.service import DEFINITIONS as SETTINGS
from marketplace.transfers.models import TRANSFER_OUTCOME_LABELS, TRANSFER_STATUS_LABELS

# (action or object type, field) → the labels of the codes that field holds, from the models
STATES: dict[tuple[str, str], Mapping[str, Any]] = {
    ("needs", "status"): NEED_STATUS_LABELS,
    ("needs", "kind"): taxonomy.NEED_KINDS,
    ("need.evidence", "kind"): EVIDENCE_KIND_LABELS,
    ("referrals", "status"): REFERRAL_STATUS_LABELS,
    ("organisations", "status"): ORG_STATUS_LABELS,
    ("organisations", "kind"): taxonomy.ORGANISATION_KINDS,
    ("projects", "milestone"): MILESTONE_LABELS,
    ("projects", "kind"): PLEDGE_KINDS,
    ("meal_pledges", "status"): MEAL_PLEDGE_STATUS_LABELS,
    ("donations", "status"): DONATION_STATUS_LABELS,
    ("users", "role"): ROLE_LABELS,
    ("transfers", "status"): TRANSFER_STATUS_LABELS,
    ("transfers", "outcome"): TRANSFER_OUTCOME_LABELS,
    ("leads", "status"): LEAD_STATUS_LABELS,
    ("leads", "reporter_kind"): REPORTER_KIND_LABELS,
    ("lead.close", "reason"): CLOSE_REASON_LABELS,
    ("needs", "offer_status"): OFFER_STATUS_LABELS,
    ("needs", "offer_reason"): DECLINE_REASON_LABELS,
}
UNITS = {"days": lambda n: ngettext("%(num)d day", "%(num)d days", n),
         "meals": lambda n: ngettext("%(num)d meal", "%(num)d meals", n)}


@dataclass(frozen=True)
class Link:
    """Something named on a row: its words, the page that shows it (when the reader may open it), and
    a detail beside it (an account's email, an organisation's name)."""

    text: str
    href: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.text} {self.detail}".strip()


@dataclass(frozen=True)
class Change:
    """One field of an event's details: its label, and its value before and after (None: not recorded)."""

    label: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after if self.after is not None else '—'}"


@dataclass(frozen=True)
class Entry:
    """One event in words."""

    event: AuditEvent
    actor: Link
    role: str
    action: str
    is_known: bool  # whether the action has words (else `action` is its raw name)
    object: Link | None
    changes: list[Change]


@dataclass
class _Names:
    """What the events of one page name, each looked up once."""

    users: dict[int, User]
    organisations: dict[int, str]
    regions: dict[str, str]


def entries(events: Sequence[AuditEvent], viewer: Any) -> list[Entry]:
    """The events in words, with links only to pages the viewer may open."""
    names = _names(events)
    return [_entry(e, viewer, names) for e in events]


def csv_rows(rows: Iterable[Entry]) -> list[list[Any]]:
    """The entries as spreadsheet rows under column titles in words."""
    header = [_("When"), _("Who"), _("Role"), _("Action"), _("Object"), _("Changes"), _("IP")]
    return [header] + [
        [clock.local(r.event.at).strftime("%Y-%m-%d %H:%M:%S"), str(r.actor), r.role, r.action,
         str(r.object) if r.object else "", "; ".join(map(str, r.changes)), r.event.ip]
        for r in rows
    ]


def _number(value: Any) -> int | None:
    """A stored id as a number a query can take, else None (rows are old and JSON is anything)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID else None


def _ids(values: Iterable[Any]) -> set[int]:
    return {n for n in map(_number, values) if n is not None}


def _names(events: Sequence[AuditEvent]) -> _Names:
    details = [(key, value) for e in events for d in (e.before, e.after) if isinstance(d, dict)
               for key, value in d.items()]
    user_ids = {e.actor_id for e in events if e.actor_id}
    user_ids |= _ids(e.object_id for e in events if e.object_type == "users")
    user_ids |= _ids(v for k, v in details if words.field(k).kind == "user")
    org_ids = _ids(e.object_id for e in events if e.object_type == "organisations")
    org_ids |= _ids(v for k, v in details if words.field(k).kind == "organisation")
    codes = {v for k, v in details if words.field(k).kind == "region" and isinstance(v, str)}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    orgs = dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
                                   ).all()) if org_ids else {}
    regions = {r.code: r.full_name for r in db.session.scalars(sa.select(Region).where(Region.code.in_(codes)))
               } if codes else {}
    return _Names(users, orgs, regions)


def _entry(event: AuditEvent, viewer: Any, names: _Names) -> Entry:
    user = names.users.get(event.actor_id) if event.actor_id else None
    actor, role = _actor(event.actor_label, user, viewer)
    return Entry(
        event=event, actor=actor, role=role, action=words.action_words(event.action),
        is_known=event.action in words.ACTIONS, object=_object(event, viewer, names), changes=_changes(event, names),
    )


def _actor(label: str, user: User | None, viewer: Any) -> tuple[Link, str]:
    if user is not None:
        href = words.OBJECTS["users"].href(str(user.id)) if may_open(viewer, "admin.user_edit") else None
        return Link(user.display_name or user.email, href, user.email), str(ROLE_LABELS.get(user.role, user.role))
    if label in words.MACHINES:
        return Link(str(words.MACHINES[label])), ""
    if label.startswith(words.API_PREFIX):
        return Link(_("API source %(name)s", name=label[len(words.API_PREFIX):])), ""
    return Link(label or str(words.MACHINES["anonymous"])), ""


def _object(event: AuditEvent, viewer: Any, names: _Names) -> Link | None:
    kind, number = event.object_type, event.object_id
    if not kind:
        return None
    noun = words.OBJECTS.get(kind)
    text = words.noun(kind) if not number else _("%(noun)s #%(id)s", noun=words.noun(kind), id=number)
    detail = ""
    if kind == "settings" and number in SETTINGS:
        text, detail = words.noun(kind), str(SETTINGS[number].label)
    elif kind == "users" and _number(number) in names.users:
        detail = names.users[_number(number)].email  # type: ignore[index]
    elif kind == "organisations" and _number(number) is not None:
        detail = names.organisations.get(_number(number), "")  # type: ignore[arg-type]
    href = noun.href(number) if noun is not None and noun.endpoint and may_open(viewer, noun.endpoint) else None
    return Link(text, href, detail)


def _changes(event: AuditEvent, names: _Names) -> list[Change]:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(before) + [k for k in after if k not in before]
    changes = []
    for key in keys:
        if key in before and key in after and before[key] == after[key]:
            continue  # unchanged: not a change
        if key not in before and after[key] in (None, ""):
            continue  # a new object's empty field says nothing
        label, kind = _field(event, key)
        was, now = (_value(event, key, kind, d[key], names) if key in d else None for d in (before, after))
        changes.append(Change(label, was, now))
    return changes


def _field(event: AuditEvent, key: str) -> tuple[str, str]:
    if event.action == "project.due" and key in MILESTONE_LABELS:  # the due date of that milestone
        return _("Due date: %(milestone)s", milestone=MILESTONE_LABELS[key]), "date"  # type: ignore[index]
    found = words.field(key)
    return str(found.label), found.kind


def _value(event: AuditEvent, key: str, kind: str, value: Any, names: _Names) -> str:
    """One stored value in words: money, dates, states and names as the reader knows them."""
    if kind == "hidden":
        return _("(not shown)")
    if value is None or value == "":
        return "—"
    if kind == "setting" and event.object_id in SETTINGS:
        kind = "money" if SETTINGS[event.object_id].unit == "fen" else SETTINGS[event.object_id].unit
    labels = _labels(event, key)
    if labels is not None and isinstance(value, str):
        return str(labels.get(value, value))
    return _typed(kind, value, names)


def _labels(event: AuditEvent, key: str) -> Mapping[str, Any] | None:
    for scope in (event.action, event.object_type):
        found = words.CODES.get((scope, key)) or STATES.get((scope, key))
        if found is not None:
            return found
    return None


def _typed(kind: str, value: Any, names: _Names) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    number = value if isinstance(value, int) else None
    if kind == "money" and number is not None:
        return money.show(number)
    if kind in UNITS and number is not None:
        return UNITS[kind](number)
    if kind == "number" and number is not None:
        return format_decimal(number)
    if kind == "ref" and number is not None:
        return f"#{number}"
    if kind == "date" and isinstance(value, str):
        return _date(value)
    if kind == "organisation" and _number(value) is not None:
        return names.organisations.get(_number(value)) or f"#{value}"  # type: ignore[arg-type]
    if kind == "user" and _number(value) in names.users:
        return names.users[_number(value)].email  # type: ignore[index]
    if kind == "region" and isinstance(value, str):
        return names.regions.get(value, value)
    if kind == "weekdays" and number is not None:
        return " ".join(str(label) for n, label in enumerate(WEEKDAY_LABELS) if number >> n & 1)
    if kind == "action" and isinstance(value, str):  # an action, or a group of them ("need.")
        return _("all: %(group)s", group=words.group_words(value[:-1])) if value.endswith(".") \
            else words.action_words(value)
    if kind == "object_type" and isinstance(value, str):
        return words.noun(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _date(value: str) -> str:
    """An ISO date (or moment) as the reader's locale writes the day, in Guangzhou."""
    try:
        if len(value) <= 10:
            return format_date(date.fromisoformat(value), "medium")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return format_date(clock.local_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC)), "medium")
