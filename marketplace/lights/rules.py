"""The light rules of DESIGN.md §6 as SQL expressions over bound thresholds.

Thresholds are turned into absolute times and dates in Python once per run, so the SQL only
compares columns with parameters: the same on SQLite and PostgreSQL, and index-friendly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.clock import local_date
from marketplace.needs.models import OPEN_STATUSES, Claim, ClaimStatus, Need, NeedStatus
from marketplace.settings import service as settings
from marketplace.visits import plans
from marketplace.visits.models import Visit, VisitPlan


@dataclass(frozen=True)
class Thresholds:
    """Absolute cut-offs for one recompute at `now`."""

    today: date
    wish_yellow_before: datetime
    wish_red_before: datetime
    claim_yellow_until: date
    claim_yellow_after: date  # the day after: a part's promise before it is not yellow yet
    delivered_yellow_before: datetime
    delivered_red_before: datetime
    stale_before: datetime
    # 穗救易: a household nobody has helped (no confirmed need, no visit) since this moment is red.
    unhelped_before: datetime | None = None
    # Visits (visits/plans.py): overdue lights yellow, overdue past the grace red.
    visits: Any = None

    # The cut-offs as named bound parameters (see `bound`), by field.
    BOUND_FIELDS = ("today", "wish_yellow_before", "wish_red_before", "claim_yellow_until", "claim_yellow_after",
                    "delivered_yellow_before", "delivered_red_before", "stale_before", "unhelped_before")

    def params(self) -> dict[str, Any]:
        """The values of `bound()`'s parameters for this moment."""
        values = {f"t_{name}": getattr(self, name) for name in self.BOUND_FIELDS}
        if self.visits is not None:
            values.update(self.visits.params())
        return values

    def bound(self) -> Thresholds:
        """These cut-offs as named bound parameters instead of values, keeping their shape (which
        visit intervals are in use, whether a household can be unhelped).

        A rule built over them is one statement for every moment of that shape: built and given its
        cache key once per process, then executed with `params()`. A transition refreshes its need's
        light this way (lights/recompute.py); building the CASEs anew each time cost more than
        running them.
        """
        fields = {name: sa.bindparam(f"t_{name}") for name in self.BOUND_FIELDS
                  if getattr(self, name) is not None}
        return replace(self, **fields, visits=self.visits.bound() if self.visits is not None else None)

    def shape(self) -> tuple[Any, ...]:
        """What decides the statements' form, not their parameters' values."""
        return (self.unhelped_before is None, self.visits.shape() if self.visits is not None else None)

    @classmethod
    def at(cls, now: datetime) -> Thresholds:
        """The cut-offs from the admin settings, relative to `now`."""
        today = local_date(now)

        values = settings.get_many([
            "light_wish_yellow_days", "light_wish_red_days", "light_claim_yellow_days", "light_delivered_yellow_days",
            "light_delivered_red_days", "light_household_stale_days", "light_household_unhelped_days"])

        def days(key: str) -> timedelta:
            return timedelta(days=values[key])

        return cls(
            today=today,
            wish_yellow_before=now - days("light_wish_yellow_days"),
            wish_red_before=now - days("light_wish_red_days"),
            claim_yellow_until=today + days("light_claim_yellow_days"),
            claim_yellow_after=today + days("light_claim_yellow_days") + timedelta(days=1),
            delivered_yellow_before=now - days("light_delivered_yellow_days"),
            delivered_red_before=now - days("light_delivered_red_days"),
            stale_before=now - days("light_household_stale_days"),
            unhelped_before=now - days("light_household_unhelped_days"),
            visits=plans.Cutoffs.at(now),
        )


def light_columns(model: Any) -> sa.TableClause:
    """`model`'s table seen as bare typed columns, without the ORM's `onupdate` of `updated_at`.

    An UPDATE through it sets the light alone: a light is derived state, not an edit, so queues
    ordered by last change stay put, and one index fewer moves per changed row.
    """
    return sa.table(model.__tablename__, *(sa.column(c.name, c.type) for c in model.__table__.c
                                           if c.name != "updated_at"))


def need_light(t: Thresholds, needs: Any = Need) -> sa.ColumnElement:
    """green/yellow/red for an open need, NULL for any other state (over `needs`: the model, or its
    `light_columns`)."""
    n = needs if needs is Need else needs.c
    # Held in parts (some quantity held, no single claimer): the worst of its open parts, and of its
    # waiting for the rest while it is still published. Read from two columns, so the test costs
    # nothing for the other needs; only these probe the claims.
    split = sa.and_(n.claimed_quantity > 0, n.claimed_by_id.is_(None), n.status.in_(OPEN_STATUSES))

    def part(*conditions: sa.ColumnElement) -> sa.ColumnElement:
        return sa.exists().where(Claim.need_id == n.id, Claim.status == ClaimStatus.ACTIVE, *conditions)

    waiting = n.status == NeedStatus.PUBLISHED
    split_light = sa.case(
        (sa.or_(part(part_is(t, "red")), sa.and_(waiting, n.published_at <= t.wish_red_before)), "red"),
        (sa.or_(part(part_is(t, "yellow")), sa.and_(waiting, n.published_at <= t.wish_yellow_before)), "yellow"),
        else_="green",
    )
    return sa.case(
        (split, split_light),
        (n.status == NeedStatus.PUBLISHED, sa.case(
            (n.published_at <= t.wish_red_before, "red"),
            (n.published_at <= t.wish_yellow_before, "yellow"), else_="green")),
        (n.status == NeedStatus.CLAIMED, sa.case(
            (n.promised_by < t.today, "red"),
            (n.promised_by <= t.claim_yellow_until, "yellow"), else_="green")),
        (n.status == NeedStatus.DELIVERED, sa.case(
            (n.delivered_at <= t.delivered_red_before, "red"),
            (n.delivered_at <= t.delivered_yellow_before, "yellow"), else_="green")),
        else_=sa.null(),
    )


def part_is(t: Thresholds, light: str, claims: Any = Claim) -> sa.ColumnElement:
    """Whether an active part is at `light` or worse: by its promise until delivered, then by how
    long its delivery has waited for confirmation (the rules of a need taken whole)."""
    c = claims if claims is Claim else claims.c
    promise_by, delivered_by = ((t.today, t.delivered_red_before) if light == "red"
                                else (t.claim_yellow_after, t.delivered_yellow_before))
    return sa.or_(sa.and_(c.delivered_at.is_(None), c.promised_by < promise_by),
                  sa.and_(c.delivered_at.is_not(None), c.delivered_at <= delivered_by))


def part_light(t: Thresholds, claims: Any = Claim) -> sa.ColumnElement:
    """A part's (an active claim's) light; NULL once it is confirmed, released or revoked."""
    c = claims if claims is Claim else claims.c
    return sa.case(
        (c.status != ClaimStatus.ACTIVE, sa.null()),
        (part_is(t, "red", claims), "red"),
        (part_is(t, "yellow", claims), "yellow"),
        else_="green",
    )


def household_light(t: Thresholds) -> sa.ColumnElement:
    """A household's light: the worst of its open needs', its renovation projects' and its visits'.

    Red also while a need waits too long unclaimed, while a visit is overdue past the grace, and
    when nobody has helped it (no need confirmed, no visit) for the unhelped period (穗救易); an
    overdue visit is yellow. Evaluated per household as probes through the household indexes: a
    household has a handful of needs, projects and visits, so a few lookups whatever the size of
    the tables. Relies on the needs' and projects' lights being current (the recompute brings them
    up to date first): only open ones have a light.
    """
    from marketplace.households.models import Household
    from marketplace.projects.models import Project

    def has(*conditions: sa.ColumnElement) -> sa.ColumnElement:
        return sa.exists().where(Need.household_id == Household.id, *conditions)

    def has_project(light: str) -> sa.ColumnElement:
        return sa.exists().where(Project.household_id == Household.id, Project.light == light)

    red = [has(Need.light == "red"), has(Need.status == NeedStatus.PUBLISHED, Need.published_at <= t.stale_before),
           has_project("red")]
    yellow = [has(Need.light == "yellow"), has_project("yellow")]
    if t.visits is not None:
        def visit_plan(condition: sa.ColumnElement) -> sa.ColumnElement:
            return sa.exists().where(VisitPlan.household_id == Household.id, condition)

        red.append(visit_plan(t.visits.late()))
        yellow.append(visit_plan(t.visits.overdue()))
    if t.unhelped_before is not None:
        red.append(sa.and_(
            Household.created_at <= t.unhelped_before,
            ~has(Need.status == NeedStatus.CLOSED, Need.closed_at > t.unhelped_before),
            ~sa.exists().where(Visit.household_id == Household.id, Visit.visited_at > t.unhelped_before)))
    return sa.case(
        (sa.or_(*red), "red"),
        (sa.or_(*yellow), "yellow"),
        (sa.or_(has(Need.light == "green"), has_project("green")), "green"),
        else_=sa.null(),
    )


def organisation_light() -> sa.ColumnElement:
    """An organisation's light: the worst light of the needs it holds claimed and of the renovation
    projects it has open pledges to (none without either).

    Probes on the (claimed_by_id, status, light) index: an organisation may hold hundreds of claims.
    """
    from marketplace.organisations.models import Organisation
    from marketplace.projects.models import Pledge, PledgeStatus, Project

    def has(*conditions: sa.ColumnElement) -> sa.ColumnElement:
        return sa.exists().where(Need.claimed_by_id == Organisation.id, Need.status == NeedStatus.CLAIMED, *conditions)

    def pledged(*conditions: sa.ColumnElement) -> sa.ColumnElement:
        # A renovation the organisation has pledged to and not yet seen confirmed folds into its light.
        return sa.exists().where(Pledge.organisation_id == Organisation.id, Pledge.project_id == Project.id,
                                 Pledge.status.in_((PledgeStatus.PLEDGED, PledgeStatus.DELIVERED)), *conditions)

    def part(*conditions: sa.ColumnElement) -> sa.ColumnElement:
        # Its parts of needs held in parts, not yet delivered (probes on ix_claims_org_light).
        return sa.exists().where(Claim.organisation_id == Organisation.id, Claim.status == ClaimStatus.ACTIVE,
                                 Claim.delivered_at.is_(None), *conditions)

    return sa.case(
        (sa.or_(has(Need.light == "red"), pledged(Project.light == "red"), part(Claim.light == "red")), "red"),
        (sa.or_(has(Need.light == "yellow"), pledged(Project.light == "yellow"), part(Claim.light == "yellow")),
         "yellow"),
        (sa.or_(has(), pledged(Project.light.is_not(None)), part()), "green"),
        else_=sa.null(),
    )


def project_light(today: date, yellow_until: date) -> sa.ColumnElement:
    """Renovation (§6): red once a milestone not yet reached is overdue (the funding deadline is the
    "fully covered" milestone), yellow when one is due by `yellow_until`; none once accepted."""
    from marketplace.projects.models import Milestone, Project, ProjectMilestone

    next_due = (
        sa.select(sa.func.min(ProjectMilestone.due_on))
        .where(ProjectMilestone.project_id == Project.id, ProjectMilestone.reached_at.is_(None))
        .scalar_subquery()
    )
    return sa.case(
        (Project.milestone == Milestone.ACCEPTED, sa.null()),
        (next_due < today, "red"),
        (next_due <= yellow_until, "yellow"),
        else_="green",
    )


def transfer_light(today: date, yellow_until: date) -> sa.ColumnElement:
    """A transfer to a department: red once its answer is overdue, yellow when due by `yellow_until`,
    green while waiting, none once answered."""
    from marketplace.transfers.models import Transfer, TransferStatus

    return sa.case(
        (Transfer.status == TransferStatus.OVERDUE, "red"),
        (Transfer.status != TransferStatus.REQUESTED, sa.null()),
        (Transfer.due_on < today, "red"),
        (Transfer.due_on <= yellow_until, "yellow"),
        else_="green",
    )


def lead_light(yellow_before: datetime, red_before: datetime) -> sa.ColumnElement:
    """A community lead nobody has triaged: yellow, then red, after the set times; none once triaged."""
    from marketplace.leads.models import Lead, LeadStatus

    return sa.case(
        (Lead.status != LeadStatus.NEW, sa.null()),
        (Lead.created_at <= red_before, "red"),
        (Lead.created_at <= yellow_before, "yellow"),
        else_="green",
    )
