"""Every kind of notice: its words (zh/en, with params), where it links, who it is for, how it is sent.

A feature that notifies names one of these kinds (`service.notify_*`); `text.py` renders them and
the preferences page offers a reader exactly the kinds meant for their role. Params are stored
with each notice (JSON), so the words are chosen in the reader's language when they read it; dates
are stored as ISO strings and shown in the reader's locale.

Routed offers and recommendations (matching/): `offer_routed`, `offer_expiring` and
`needs_recommended` for members, `offer_declined` and `offer_expired` for the need's region staff.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role
from marketplace.notifications.models import Delivery

Words = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Kind:
    """One kind of notice."""

    code: str
    label: Any  # what the preferences page calls it (lazy: the reader's language)
    words: Words  # one line saying what happened, from the notice's params (and `count`)
    endpoint: str  # where the notice links to
    id_arg: str | None  # the endpoint's argument that takes the notice's object id, if any
    audience: frozenset[Role]  # whose preferences page offers it
    org_kinds: frozenset[str] | None = None  # only members of these kinds of organisation
    default: Delivery = Delivery.NOW
    link_args: tuple[tuple[str, str], ...] = ()  # fixed arguments of the link (a list's filter)


def _date(value: Any) -> str:
    """An ISO date from the params, in the reader's locale (anything else as it is)."""
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


MEMBERS = frozenset({Role.ORG_MEMBER})
STAFF = frozenset({Role.STAFF})

KINDS: dict[str, Kind] = {kind.code: kind for kind in (
    # The red lights (lights/notify.py).
    Kind("need_red", _l("A need we claimed turned red"),
         lambda p: _("A need your organisation claimed is overdue (red light)."),
         "needs.detail", "need_id", MEMBERS),
    Kind("needs_red_digest", _l("Needs in my region turned red"),
         lambda p: _("%(count)s needs in your region turned red.", count=p["count"]),
         "staff_needs.need_list", None, STAFF, link_args=(("light", "red"),)),
    # An organisation's review (organisations/service.py).
    Kind("org_approved", _l("Our organisation was approved"),
         lambda p: _("Your organisation %(name)s was approved: you can now claim needs and pledge.", name=p["name"]),
         "organisations.mine", None, MEMBERS),
    Kind("org_rejected", _l("Our organisation was not approved"),
         lambda p: _("Your organisation %(name)s was not approved: %(reason)s", name=p["name"], reason=p["reason"]),
         "organisations.mine", None, MEMBERS),
    # Claims and deliveries (needs/transitions.py, needs/reminders.py).
    Kind("claim_assigned", _l("A need was assigned to us"),
         lambda p: _("Staff assigned the need “%(title)s” to your organisation: deliver by %(date)s.",
                     title=p["title"], date=_date(p["date"])),
         "needs.detail", "need_id", MEMBERS),
    Kind("claim_reassigned", _l("Our claim was given to another organisation"),
         lambda p: _("Staff gave the need “%(title)s” to another organisation: your claim has ended.",
                     title=p["title"]),
         "needs.detail", "need_id", MEMBERS),
    Kind("claim_released", _l("Staff released our claim"),
         lambda p: (_("Staff released your organisation's claim on “%(title)s”: %(reason)s",
                      title=p["title"], reason=p["reason"]) if p.get("reason")
                    else _("Staff released your organisation's claim on “%(title)s”.", title=p["title"])),
         "needs.detail", "need_id", MEMBERS),
    Kind("claim_due_soon", _l("A claim is due in two days"),
         lambda p: _("The need “%(title)s” your organisation claimed is due on %(date)s.",
                     title=p["title"], date=_date(p["date"])),
         "needs.detail", "need_id", MEMBERS),
    Kind("delivery_awaiting", _l("A delivery awaits my confirmation"),
         lambda p: _("%(organisation)s marked “%(title)s” delivered: it awaits your confirmation.",
                     organisation=p["organisation"], title=p["title"]),
         "staff_needs.need_detail", "need_id", STAFF),
    Kind("delivery_confirmed", _l("Our delivery was confirmed"),
         lambda p: _("The delivery of “%(title)s” was confirmed. Thank you!", title=p["title"]),
         "needs.detail", "need_id", MEMBERS),
    Kind("delivery_rejected", _l("Our delivery was not accepted"),
         lambda p: _("The delivery of “%(title)s” was not accepted: %(reason)s", title=p["title"],
                     reason=p["reason"]),
         "needs.detail", "need_id", MEMBERS),
    # Pledges (meals/pledges.py, projects/service.py).
    Kind("meal_pledge_approved", _l("Our meal pledge was approved"),
         lambda p: _("Your pledge of %(meals)s meals a day at %(outlet)s from %(start)s to %(end)s was approved.",
                     meals=p["meals"], outlet=p["outlet"], start=_date(p["start"]), end=_date(p["end"])),
         "company_meals.overview", None, MEMBERS, org_kinds=frozenset({"company"})),
    Kind("meal_pledge_rejected", _l("Our meal pledge was not approved"),
         lambda p: _("Your meal pledge at %(outlet)s was not approved: %(reason)s", outlet=p["outlet"],
                     reason=p["reason"]),
         "company_meals.overview", None, MEMBERS, org_kinds=frozenset({"company"})),
    # Transfers and leads (transfers/service.py, leads/service.py).
    Kind("transfers_overdue", _l("Transfers to departments overdue"),
         lambda p: _("%(count)s transfers to departments in your region are past their answer date.",
                     count=p["count"]),
         "transfers.transfer_list", None, STAFF, link_args=(("status", "overdue"),)),
    Kind("lead_reported", _l("A household was reported in my region"),
         lambda p: _("Someone reported a household in %(street)s that may need help: triage the lead.",
                     street=p["street"]),
         "leads.lead_detail", "lead_id", STAFF),
    # Recommendations and routed offers (matching/recommend.py, matching/offers.py).
    Kind("needs_recommended", _l("New needs that fit us (daily)"),
         lambda p: _("%(count)s new needs fit your organisation: %(titles)s", count=p["count"], titles=p["titles"]),
         "organisations.mine", None, MEMBERS, default=Delivery.DIGEST),
    Kind("offer_routed", _l("Staff routed a need to us"),
         lambda p: _("Staff routed the need “%(title)s” to your organisation: please answer by %(date)s.",
                     title=p["title"], date=_date(p["due"])),
         "matching.offer_detail", "offer_id", MEMBERS),
    Kind("offer_expiring", _l("An offer to us is about to expire"),
         lambda p: _("The offer of “%(title)s” to your organisation expires soon: accept or decline it.",
                     title=p["title"]),
         "matching.offer_detail", "offer_id", MEMBERS),
    Kind("offer_declined", _l("An organisation declined an offer"),
         lambda p: _("%(organisation)s declined the offer of “%(title)s”.", organisation=p["organisation"],
                     title=p["title"]),
         "staff_needs.need_detail", "need_id", STAFF),
    Kind("offer_expired", _l("An offer expired unanswered"),
         lambda p: _("%(organisation)s did not answer the offer of “%(title)s” in time.",
                     organisation=p["organisation"], title=p["title"]),
         "staff_needs.need_detail", "need_id", STAFF),
    Kind("project_pledge_confirmed", _l("Our renovation pledge was confirmed"),
         lambda p: _("Staff confirmed your pledge to the renovation “%(title)s”: it now counts on the leaderboard.",
                     title=p["title"]),
         "projects.project_detail", "project_id", MEMBERS),
    # Visits (visits/reminders.py): the caseworker the household's visits are assigned to.
    Kind("visit_overdue", _l("A household I visit is overdue for a visit"),
         lambda p: _("Household #%(household)s is overdue for a visit.", household=p["household"]),
         "visits.household", "household_id", STAFF),
)}


def get(code: str) -> Kind | None:
    """The kind of this code, or None for a code no longer known (an old notice)."""
    return KINDS.get(code)


def for_user(user: Any) -> list[Kind]:
    """The kinds of notice meant for this user's role (and organisation kind), in the registry's order."""
    org = getattr(user, "organisation", None)
    return [kind for kind in KINDS.values() if user.role in kind.audience
            and (kind.org_kinds is None or (org is not None and org.kind in kind.org_kinds))]

