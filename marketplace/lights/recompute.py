"""Recomputing every light in a few set-based statements, writing only the lights that change.

Each run: (1) the changed need lights are inserted into `light_changes` straight from one scan of
the needs, then copied onto the needs (an UPDATE by primary key, or one sequential pass in a full
run); (2) households touched by (1), or all in a full run, and (3) every organisation follow the
same two steps, their lights being index probes on the needs; (4) new reds become notifications.
Rows whose light is unchanged are never written, which is what keeps a periodic run cheap on
PostgreSQL (every UPDATE writes a new row version).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.changes import stamp as changes
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.lights import notify, rules
from marketplace.lights.models import LightChange
from marketplace.needs.models import Claim, ClaimStatus, Need
from marketplace.organisations.models import Organisation


@dataclass
class RecomputeResult:
    """How many lights changed in one run, per kind of object."""

    batch: int  # the highest history id before the run: its rows lie above it
    needs: int = 0
    households: int = 0
    organisations: int = 0
    notified: int = 0
    full: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    key: int | None = None  # written in each history row; the periodic run's key is its `batch`

    staged: dict[str, int] = field(default_factory=dict)  # rows of each kind written so far

    def __post_init__(self) -> None:
        if self.key is None:
            self.key = self.batch

    def bound(self, t: rules.Thresholds | None = None, now: datetime | None = None,
              only: list[int] | None = None) -> dict[str, Any]:
        """The values of the bound statements' parameters for this run."""
        values: dict[str, Any] = {"r_batch": self.batch, "r_key": self.key}
        if t is not None:
            values.update(t.params())
        if now is not None:
            values["r_now"] = now
        if only is not None:
            values["r_only"] = only
        return values


# Statements built once per process over bound parameters (`rules.Thresholds.bound()`, the run's
# key, batch and time, the ids of a refresh): a transition's refresh then only executes them.
_BUILT: dict[tuple[Any, ...], Any] = {}
BATCH, KEY = sa.bindparam("r_batch"), sa.bindparam("r_key")
NOW, ONLY = sa.bindparam("r_now", type_=LightChange.changed_at.type), sa.bindparam("r_only", expanding=True)


def _built(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = build()
    return statement


STAGE_COLUMNS = ["batch", "object_type", "object_id", "old_light", "new_light", "changed_at"]


def _insert(kind: str, source: Any, object_id: Any, old: Any, new: Any) -> Any:
    """INSERT (run key, kind, id, old, new, time) FROM every row of `source` whose light differs."""
    select = source.with_only_columns(KEY, sa.literal(kind), object_id, old, new, NOW).where(
        old.is_distinct_from(new))
    return sa.insert(LightChange.__table__).from_select(STAGE_COLUMNS, select)


def _stage(run: RecomputeResult, kind: str, source: Any, object_id: Any, old: Any, new: Any, now: datetime) -> int:
    """Stage the changed lights of a rule built over values (the periodic run's few other kinds)."""
    db.session.execute(_insert(kind, source, object_id, old, new), run.bound(now=now))
    return _count_staged(run, kind)


def _stage_bound(run: RecomputeResult, kind: str, build: Callable[[], tuple[Any, Any, Any, Any]],
                 params: dict[str, Any], only: bool, shape: tuple[Any, ...] = ()) -> int:
    """Stage the changed lights of a rule over bound cut-offs: the statement is built once (per kind,
    with or without a list of ids, and per shape of the cut-offs), then executed with `params`."""
    db.session.execute(_built(("stage", kind, only, *shape), lambda: _insert(kind, *build())), params)
    return _count_staged(run, kind)


def _count_staged(run: RecomputeResult, kind: str) -> int:
    """How many rows of `kind` the last stage added (counted from the primary-key range, as psycopg
    reports no rowcount for INSERT … SELECT here)."""
    counted = _built(("count", kind), lambda: sa.select(sa.func.count()).where(*_staged(kind)))
    total = db.session.scalar(counted, run.bound()) or 0
    added, run.staged[kind] = total - run.staged.get(kind, 0), total
    return added


def _staged(kind: str) -> tuple[Any, ...]:
    """A run's rows of one kind: ids above where the run started, written under its key (the
    parameters `RecomputeResult.bound()` gives).

    The key keeps a transition's refresh and the periodic run apart when they overlap.
    """
    return LightChange.id > BATCH, LightChange.batch == KEY, LightChange.object_type == kind


def _apply(run: RecomputeResult, kind: str, model: Any) -> None:
    """Copy the staged new lights onto their objects (one UPDATE … FROM)."""
    target = rules.light_columns(model)
    db.session.execute(
        sa.update(target)
        .values(light=LightChange.new_light)
        .where(*_staged(kind), target.c.id == LightChange.object_id),
        run.bound(),
    )


def _touched(run: RecomputeResult, column: Any) -> list[int]:
    """Ids (households) of the needs whose light changed in this run.

    Fetched as a list: handing the planner explicit ids keeps it on the primary-key and household
    indexes; as a join it may prefer scanning every need.
    """
    touched = sa.select(column).where(Need.id.in_(_changed_needs()), column.is_not(None)).distinct()
    return list(db.session.scalars(touched, run.bound()))


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    """Bounded IN lists (SQLite limits the number of parameters)."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _needs(result: RecomputeResult, t: rules.Thresholds, now: datetime, only: list[int] | None = None) -> None:
    """History rows for the needs whose light changes (one scan), then an UPDATE of just those needs.

    The UPDATE finds its rows by primary key from the history just written and re-evaluates the
    same CASE, so a cold run costs about one hand-written UPDATE plus the narrow history inserts,
    and a steady run touches only the needs that changed.
    """
    params = result.bound(t, now, only)

    def rows() -> tuple[Any, Any, Any, Any]:
        scanned = sa.select(Need) if only is None else sa.select(Need).where(Need.id.in_(ONLY))
        return scanned, Need.id, Need.light, rules.need_light(t.bound())

    result.needs = _stage_bound(result, "need", rows, params, only is not None)
    if not result.needs:
        return

    def update() -> Any:
        needs = rules.light_columns(Need)
        new = rules.need_light(t.bound(), needs)
        # A full run rewrites most needs: one sequential pass like a hand-written UPDATE; a frequent
        # run reaches the few changed needs by primary key.
        which = needs.c.light.is_distinct_from(new) if result.full else needs.c.id.in_(_changed_needs())
        return sa.update(needs).values(light=new).where(which)

    db.session.execute(_built(("need-update", result.full), update), params)
    # A need's light is part of its referral's status object: the referral goes into the API's feed.
    referrals = _built(("need-referrals",), lambda: sa.select(Need.referral_id).where(
        Need.id.in_(_changed_needs()), Need.referral_id.is_not(None)).distinct())
    changes.touch_many(db.session.scalars(referrals, params))


def _changed_needs() -> Any:
    return sa.select(LightChange.object_id).where(*_staged("need"))


def _parts(result: RecomputeResult, t: rules.Thresholds, now: datetime, only: list[int] | None = None) -> None:
    """Each part (claim) of a need takes its own light: active claims, and those still showing one."""
    def rows() -> tuple[Any, Any, Any, Any]:
        scanned = sa.select(Claim).where(sa.or_(Claim.status == ClaimStatus.ACTIVE, Claim.light.is_not(None)))
        if only is not None:
            scanned = scanned.where(Claim.need_id.in_(ONLY))
        return scanned, Claim.id, Claim.light, rules.part_light(t.bound())

    result.extra["parts"] = _stage_bound(result, "claim", rows, result.bound(t, now, only), only is not None)
    if result.extra["parts"]:
        _apply(result, "claim", Claim)


def _households(result: RecomputeResult, t: rules.Thresholds, now: datetime, only: list[int] | None = None) -> None:
    """Households of the needs that changed (or `only` these, or all in a full run) take their light.

    The rules that depend on time alone (a need waiting 60 days without help, an overdue visit,
    nobody helping for 90 days) are applied by full runs (the scheduler does one hourly) and to
    a household at once when a visit to it is recorded (`refresh_households`).
    """
    if result.full:
        batches: list[list[int] | None] = [None]
    else:
        batches = list(_chunks(only if only is not None else _touched(result, Need.household_id)))
    for ids in batches:
        def rows(listed: bool = ids is not None) -> tuple[Any, Any, Any, Any]:
            households = sa.select(Household).where(Household.id.in_(ONLY)) if listed else sa.select(Household)
            return households, Household.id, Household.light, rules.household_light(t.bound())

        result.households += _stage_bound(result, "household", rows, result.bound(t, now, ids), ids is not None,
                                          t.shape())
    _apply(result, "household", Household)


def _organisations(result: RecomputeResult, now: datetime) -> None:
    """Every organisation takes its worst claim's light, in every run.

    Organisations are few and each costs three index probes, and a claim released or delivered
    changes its organisation's light without changing any need's light, so there is no "touched"
    shortcut here.
    """
    orgs = sa.select(Organisation)
    result.organisations = _stage(result, "organisation", orgs, Organisation.id, Organisation.light,
                                  rules.organisation_light(), now)
    _apply(result, "organisation", Organisation)


def _projects(result: RecomputeResult, t: rules.Thresholds, now: datetime) -> None:
    """Renovation projects: one scan of the open projects, then an UPDATE of those that changed."""
    from marketplace.projects.models import Project
    from marketplace.settings import service as settings

    yellow_until = t.today + timedelta(days=settings.get("light_renovation_yellow_days"))
    new = rules.project_light(t.today, yellow_until)
    result.extra["projects"] = _stage(result, "project", sa.select(Project), Project.id, Project.light, new, now)
    _apply(result, "project", Project)


def _transfers(result: RecomputeResult, t: rules.Thresholds, now: datetime) -> None:
    """Open transfers to departments: one scan of the open ones, then an UPDATE of those that changed."""
    from marketplace.settings import service as settings
    from marketplace.transfers.models import OPEN_TRANSFER, Transfer

    yellow_until = t.today + timedelta(days=settings.get("light_transfer_yellow_days"))
    new = rules.transfer_light(t.today, yellow_until)
    scanned = sa.select(Transfer).where(sa.or_(Transfer.status.in_(OPEN_TRANSFER), Transfer.light.is_not(None)))
    result.extra["transfers"] = _stage(result, "transfer", scanned, Transfer.id, Transfer.light, new, now)
    _apply(result, "transfer", Transfer)


def _leads(result: RecomputeResult, now: datetime) -> None:
    """Untriaged community leads: yellow, then red, after the settings' days."""
    from marketplace.leads.models import Lead, LeadStatus
    from marketplace.settings import service as settings

    new = rules.lead_light(now - timedelta(days=settings.get("light_lead_yellow_days")),
                           now - timedelta(days=settings.get("light_lead_red_days")))
    scanned = sa.select(Lead).where(sa.or_(Lead.status == LeadStatus.NEW, Lead.light.is_not(None)))
    result.extra["leads"] = _stage(result, "lead", scanned, Lead.id, Lead.light, new, now)
    _apply(result, "lead", Lead)


def recompute(now: datetime, *, full: bool = False) -> RecomputeResult:
    """Bring every light up to date for `now`; idempotent (a second run changes nothing).

    `batch` is the highest history id before the run: this run's rows are the ones above it.
    """
    t = rules.Thresholds.at(now)
    result = RecomputeResult(batch=db.session.scalar(sa.select(sa.func.max(LightChange.id))) or 0, full=full)
    started = time.perf_counter()
    _parts(result, t, now)
    _needs(result, t, now)
    result.extra["needs_seconds"] = round(time.perf_counter() - started, 3)
    # Projects first: their lights fold into their households' and organisations'.
    _projects(result, t, now)
    _households(result, t, now)
    _organisations(result, now)
    _transfers(result, t, now)
    _leads(result, now)
    result.notified = notify.notify_new_reds(result.batch, result.key, now)
    return result


def refresh(need_ids: list[int], now: datetime) -> RecomputeResult:
    """The lights of a few needs a transition just moved, and of their households, by the same rules.

    Organisations and projects keep to the periodic run: an organisation's light is its worst
    claim's, recomputed for all of them in every run, and refreshing it here would make every
    transition wait on the organisation rows other requests are updating.
    """
    t = rules.Thresholds.at(now)
    # A negative key of its own: never a periodic run's (those are history ids), nor another refresh's.
    result = RecomputeResult(batch=db.session.scalar(sa.select(sa.func.max(LightChange.id))) or 0,
                             key=-secrets.randbits(62) - 1)
    _parts(result, t, now, only=need_ids)
    _needs(result, t, now, only=need_ids)
    if result.needs:
        _households(result, t, now)
        result.notified = notify.notify_new_reds(result.batch, result.key, now)
    return result


def refresh_households(household_ids: list[int], now: datetime) -> RecomputeResult:
    """The lights of a few households by the same rules: after a visit, which changes no need's light."""
    t = rules.Thresholds.at(now)
    result = RecomputeResult(batch=db.session.scalar(sa.select(sa.func.max(LightChange.id))) or 0,
                             key=-secrets.randbits(62) - 1)
    _households(result, t, now, only=household_ids)
    return result
