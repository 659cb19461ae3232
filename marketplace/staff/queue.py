"""What waits on a caseworker, oldest first: each kind of work with its first items and a count.

Counts stop at `COUNT_CAP`: a page never counts a province's millions of rows to print "1000+".
Every section reads through the same region filter as the lists it links to, so the queue shows
exactly the work those lists hold for this user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace import clock, taxonomy
from marketplace.accounts.models import User
from marketplace.accounts.scope import region_filter
from marketplace.extensions import db
from marketplace.households.models import Household, Referral, ReferralStatus
from marketplace.leads.models import Lead, LeadStatus
from marketplace.matching import offers
from marketplace.meals import pledges as meal_pledges
from marketplace.needs.models import Need, NeedStatus
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.paging import count_up_to
from marketplace.projects.models import Pledge, PledgeStatus, Project
from marketplace.transfers.models import Transfer, TransferStatus
from marketplace.visits import followups, plans
from marketplace.visits.models import VisitPlan

SHOWN = 5  # items per section
COUNT_CAP = 1000


@dataclass(frozen=True)
class Item:
    """One piece of work: what it is, where, since when, and the page to do it on."""

    label: str
    place: str
    since: datetime | None
    href: str


@dataclass
class Section:
    """One kind of work: its heading, how many wait (capped), the oldest few, and the full list."""

    key: str
    title: Any
    count: int
    items: list[Item] = field(default_factory=list)
    more_href: str = ""

    @property
    def count_text(self) -> str:
        """The count as shown: "1000+" past the cap."""
        return f"{COUNT_CAP}+" if self.count >= COUNT_CAP else str(self.count)


def _section(key: str, title: Any, query: sa.Select, item: Callable[[Any], Item], more_href: str) -> Section:
    rows = db.session.scalars(query.limit(SHOWN)).all()
    return Section(key, title, count_up_to(query, COUNT_CAP), [item(row) for row in rows], more_href)


def _need_item(need: Need, since: datetime | None) -> Item:
    return Item(need.title, need.place, since, url_for("staff_needs.need_detail", need_id=need.id))


def work_queue(user: User) -> list[Section]:
    """Every kind of work waiting on this staff member (or admin), oldest first within each."""
    needs_here = sa.select(Need).where(region_filter(user, Need.district_code, Need.street_code))
    referrals = (
        sa.select(Referral).join(Referral.household)
        .where(Referral.status == ReferralStatus.RECEIVED,
               region_filter(user, Referral.district_code, Household.street_code))
        .order_by(Referral.referred_at, Referral.id)
    )
    sections = [
        _section("leads", _l("Leads to triage"),
                 sa.select(Lead).where(Lead.status == LeadStatus.NEW,
                                       region_filter(user, Lead.district_code, Lead.street_code))
                 .order_by(Lead.created_at, Lead.id),
                 lambda lead: Item(lead.description[:40], lead.place, lead.created_at,
                                   url_for("leads.lead_detail", lead_id=lead.id)),
                 url_for("leads.lead_list", status=LeadStatus.NEW)),
        _section("referrals", _l("Referrals to triage"), referrals,
                 lambda r: Item(r.title, r.household.place, r.referred_at,
                                url_for("referrals.referral_detail", referral_id=r.id)),
                 url_for("referrals.referral_list", status=ReferralStatus.RECEIVED)),
        _section("drafts", _l("Drafts to publish"),
                 needs_here.where(Need.status == NeedStatus.DRAFT).order_by(Need.created_at, Need.id),
                 lambda n: _need_item(n, n.created_at), url_for("staff_needs.need_list", status=NeedStatus.DRAFT)),
        _section("deliveries", _l("Deliveries to confirm"),
                 needs_here.where(Need.status == NeedStatus.DELIVERED).order_by(Need.delivered_at, Need.id),
                 lambda n: _need_item(n, n.delivered_at),
                 url_for("staff_needs.need_list", status=NeedStatus.DELIVERED)),
        _section("red", _l("Red lights"),
                 needs_here.where(Need.light == "red").order_by(Need.published_at, Need.id),
                 lambda n: _need_item(n, n.published_at), url_for("staff_needs.need_list", light="red")),
        _section("transfers", _l("Transfers overdue"),
                 sa.select(Transfer).where(Transfer.status == TransferStatus.OVERDUE,
                                           region_filter(user, Transfer.district_code, Transfer.street_code))
                 .order_by(Transfer.due_on, Transfer.id),
                 lambda t: Item(f"{t.department.name} · {t.title}", t.place, t.requested_at,
                                url_for("transfers.transfer_detail", transfer_id=t.id)),
                 url_for("transfers.transfer_list", status=TransferStatus.OVERDUE)),
        _section("offers", _l("Offers unanswered"), offers.unanswered_query(user, clock.now()),
                 lambda o: Item(f"{o.need.title} · {o.organisation.name}", o.need.place, o.created_at,
                                url_for("staff_needs.need_detail", need_id=o.need_id) + "#offers"),
                 url_for("matching.unanswered")),
        _section("to_route", _l("Needs waiting for an offer"), offers.to_route_query(user, clock.now()),
                 lambda n: _need_item(n, n.published_at), url_for("matching.to_route")),
        _section("expired", _l("Needs that expired without a claim"),
                 needs_here.where(Need.status == NeedStatus.EXPIRED).order_by(Need.updated_at, Need.id),
                 lambda n: _need_item(n, n.updated_at), url_for("staff_needs.need_list", status=NeedStatus.EXPIRED)),
        _section("project_pledges", _l("Renovation pledges to confirm"),
                 sa.select(Pledge).join(Pledge.project)
                 .where(Pledge.status == PledgeStatus.DELIVERED,
                        region_filter(user, Project.district_code, Project.street_code))
                 .order_by(Pledge.delivered_at, Pledge.id),
                 lambda p: Item(f"{p.organisation.name} · {p.project.title}", p.project.place, p.delivered_at,
                                url_for("staff_projects.detail", project_id=p.project_id)),
                 url_for("staff_projects.project_list")),
        _section("meal_pledges", _l("Meal pledges to review"),
                 meal_pledges.reviewable_query(user),
                 lambda p: Item(f"{p.organisation.name} · {p.outlet.name}", p.outlet.street.name, p.created_at,
                                url_for("staff_meals.pledge_review", pledge_id=p.id)),
                 url_for("staff_meals.pledge_list")),
        _section("organisations", _l("Organisations waiting for a decision"),
                 organisations.reviewable_query(user, status=OrgStatus.PENDING)
                 .order_by(None).order_by(Organisation.created_at, Organisation.id),
                 lambda o: Item(o.name, str(taxonomy.ORGANISATION_KINDS.get(o.kind, o.kind)), o.created_at,
                                url_for("organisations.review", org_id=o.id)),
                 url_for("organisations.review_list", status=OrgStatus.PENDING)),
    ]
    sections += _visit_sections(user)
    return sections


def _visit_sections(user: User) -> list[Section]:
    """Visits due (the staff member's own first: assigned to them, overdue first) and follow-ups due."""
    now = clock.now()
    cut = plans.Cutoffs.at(now)
    visits = (
        sa.select(VisitPlan).join(VisitPlan.household)
        .where(region_filter(user, Household.district_code, Household.street_code), VisitPlan.interval_days > 0,
               cut.due())
        .order_by(sa.case((VisitPlan.caseworker_id == user.id, 0), else_=1), cut.rank(), plans.seen_since(),
                  VisitPlan.id)
    )
    due = (
        followups.due_query(now).where(region_filter(user, Need.district_code, Need.street_code))
        .order_by(Need.closed_at, Need.id)
    )
    return [
        _section("visits", _l("Visits due"), visits,
                 lambda p: Item(f"#{p.household_id} · {taxonomy.HOUSEHOLD_GROUPS.get(p.household.group, '')}",
                                p.household.place, p.seen_since,
                                url_for("visits.household", household_id=p.household_id)),
                 url_for("visits.due_list")),
        _section("followups", _l("Follow-ups due"), due,
                 lambda n: Item(n.title, n.place, n.closed_at, url_for("followups.followup_record", need_id=n.id)),
                 url_for("followups.followup_list")),
    ]
