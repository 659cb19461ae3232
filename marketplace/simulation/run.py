"""The district simulation's loop: a scratch app, a clock it moves, and events in time order.

Every action is a real domain operation inside its own `transaction()` (one request's worth of
work), on a separate app whose database is a scratch one; the app the command runs in is never
touched. Events sit in one heap ordered by (time, sequence number), so equal times keep the order
they were scheduled in and one seed gives one history.
"""

from __future__ import annotations

import heapq
import io
import random
import shutil
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from marketplace.clock import SHANGHAI, local_date
from marketplace.errors import DomainError
from marketplace.simulation import model
from marketplace.simulation.strategies import STRATEGIES, Strategy, promised

ROOT = Path(__file__).resolve().parent.parent.parent
REGIONS_CSV = ROOT / "marketplace" / "data" / "regions_guangzhou.csv"
MIGRATIONS = ROOT / "migrations"
SOURCE = "sim-suijiuyi"  # the simulated outside assistance system (穗救易)
PASSWORD = "Simulated-District-9041"
START = datetime(2026, 3, 2, tzinfo=SHANGHAI)  # day 1 begins at local midnight; a fixed date, never today
CONFIRM_COHORT_DAYS = 60  # closure_rate counts the needs referred in days 1–60
# How often each scheduler job runs in the simulation (hours). Production runs `lights` and
# `expire_needs` every 5 minutes; a 2-core machine cannot replay 90 days at that pace, so the
# simulation's "tick" is coarser (docs/matching.md, "The district simulation"). `emails`, `digests` send nothing without
# SMTP and `inspection_sampling` concerns renovations only: they do not run. `offers` (expiry of
# routed offers past their deadline, reminders) runs with the lights; production: every 5 minutes.
JOB_HOURS = {"lights": 3, "expire_needs": 3, "offers": 3, "lights_full": 24, "expire_vouchers": 24,
             "leaderboards": 24, "due_soon": 24, "dashboard": 24}


class SimulationError(Exception):
    """The simulation cannot start (a database that is not fresh, say); the message says why."""


@dataclass
class Settings:
    """One run's parameters."""

    mode: str = "pull"
    days: int = 90
    seed: int = 1
    referrals_per_day: float = model.REFERRALS_PER_DAY
    organisations: int = model.ORGANISATIONS
    database_url: str = ""


@dataclass
class Tally:
    """What the loop counts as it goes (the rest is read from the database at the end)."""

    claims: int = 0
    claims_refused: int = 0
    looks: int = 0
    deliveries: int = 0
    confirmations: int = 0
    replans: int = 0
    job_runs: int = 0
    offers_routed: int = 0
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_refused: int = 0  # a route or an answer the domain refused (no room, expired, taken meanwhile)
    parts: int = 0  # claims of less than the need's quantity
    late_seen: dict[int, bool] = field(default_factory=dict)  # need id → lit red at the first tick late


def scratch_app(database_url: str, evidence_dir: str, clock: Callable[[], datetime]) -> Flask:
    """A separate app on the scratch database, its clock the simulation's."""
    from marketplace import create_app

    return create_app({
        "SECRET_KEY": "simulation", "HASH_KEY": "simulation-hash", "SQLALCHEMY_DATABASE_URI": database_url,
        "EVIDENCE_DIR": evidence_dir, "MAIL_SERVER": "", "MAIL_ECHO": False, "CLOCK": clock,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
    })


def _engine_options(url: str) -> dict[str, Any]:
    from marketplace.config import engine_options

    return engine_options(url)


def _prepare(app: Flask) -> None:
    """Migrate the scratch database and load the regions, refusing one that already holds data."""
    from flask_migrate import upgrade

    from marketplace.extensions import db
    from marketplace.regions.service import import_regions

    with app.app_context():
        if sa.inspect(db.engine).get_table_names():
            raise SimulationError("the simulation's database must be empty: it creates its own tables and data")
        upgrade(directory=str(MIGRATIONS))
        import_regions(REGIONS_CSV.read_text(encoding="utf-8"))
        db.session.commit()


class Simulation:
    """One run: the agents, the event heap and the clock."""

    def __init__(self, app: Flask, settings: Settings, clock: list[datetime]) -> None:
        self.app, self.settings, self.clock = app, settings, clock
        self.rng = random.Random(settings.seed)
        self.strategy: Strategy = STRATEGIES[settings.mode]()
        self.events: list[tuple[datetime, int, str, tuple[Any, ...]]] = []
        self.sequence = 0
        self.tally = Tally()
        self.orgs: list[model.OrgAgent] = []
        self.staff_id = 0
        self.end = START + timedelta(days=settings.days)
        self.photo = _photo()

    # --- the heap ---------------------------------------------------------------------------

    def at(self, moment: datetime, kind: str, *args: Any) -> None:
        """Schedule an event (never after the end: what would happen later is outside the run)."""
        if moment < self.end:
            self.sequence += 1
            heapq.heappush(self.events, (moment, self.sequence, kind, args))

    def run(self) -> dict[str, Any]:
        """Set up, play every event in order, then measure."""
        self._set_up()
        while self.events:
            moment, _seq, kind, args = heapq.heappop(self.events)
            self.clock[0] = moment
            getattr(self, f"_on_{kind}")(*args)
        self.clock[0] = self.end
        return self._measure()

    @contextmanager
    def step(self) -> Iterator[None]:
        """One request's worth of work: committed, or rolled back when the domain refuses."""
        from marketplace.unit_of_work import transaction

        with transaction():
            yield

    # --- set-up -----------------------------------------------------------------------------

    def _set_up(self) -> None:
        from marketplace.accounts import service as accounts
        from marketplace.accounts.models import Role
        from marketplace.extensions import db
        from marketplace.organisations import credit_code
        from marketplace.organisations import service as organisations
        from marketplace.regions.models import Region

        self.clock[0] = START
        with self.step():
            streets = [(r.code, r.name) for r in db.session.scalars(
                sa.select(Region).where(Region.parent_code == model.DISTRICT).order_by(Region.code))]
            admin = accounts.create_user("sim-admin@example.cn", PASSWORD, Role.ADMIN)
            staff = accounts.create_user("sim-staff@example.cn", PASSWORD, Role.STAFF, region_code=model.DISTRICT)
            self.staff_id, admin_id = staff.id, admin.id
        self.streets = streets
        street_codes = [code for code, _name in streets]
        for agent in model.draw_population(self.rng, self.settings.organisations, street_codes):
            i = agent.index
            with self.step():
                org = organisations.register(organisations.Registration(
                    name=f"模拟组织{i + 1:02d}", kind=agent.kind,
                    credit_code=credit_code.make(f"53440104MA{i + 1:07d}"), contact_name="联系人",
                    contact_phone="020-83330000", contact_email=f"sim-org{i + 1}@example.cn",
                    member_email=f"sim-member{i + 1}@example.cn", member_password=PASSWORD,
                    region_codes=agent.streets or [model.DISTRICT], categories=agent.categories,
                ))
                assert org is not None
                organisations.review(org, actor=db.session.get(type(admin), admin_id), approve=True)
                agent.org_id, agent.user_id = org.id, org.members[0].id
                # The profile recommendations and suggestions read: what the agent does, where, how much.
                organisations.update_capability(org, organisations.Capability(
                    categories=agent.categories, region_codes=agent.streets or [model.DISTRICT],
                    capacity_open=agent.capacity, value_min_fen=0, value_max_fen=agent.value_max_fen,
                    response_hours=round(agent.response_hours)), actor=org.members[0])
            self.orgs.append(agent)
        n = 0
        for day in range(self.settings.days):
            midnight = START + timedelta(days=day)
            for _ in range(model.poisson(self.rng, self.settings.referrals_per_day)):
                n += 1
                self.at(midnight + model.office_hours(self.rng), "referral", n)
        self.by_org_id = {agent.org_id: agent.index for agent in self.orgs}
        for agent in self.orgs:
            self.at(START + model.office_hours(self.rng) + model.exp_days(self.rng, model.LOOK_MEAN_DAYS),
                    "look", agent.index)
        moment = START + model.STEP
        while moment < self.end:
            self.at(moment, "tick")
            if moment.astimezone(SHANGHAI).hour == 9:
                self.at(moment, "staff_sweep")
            moment += model.STEP

    # --- events -----------------------------------------------------------------------------

    def _staff(self) -> Any:
        from marketplace.accounts.models import User
        from marketplace.extensions import db

        return db.session.get(User, self.staff_id)

    def _on_referral(self, n: int) -> None:
        from marketplace.households import intake

        draw = model.draw_referral(self.rng, n, self.streets)
        now = self.clock[0]
        payload = {
            "external_id": f"SIM-{n:06d}", "referred_at": now.isoformat(),
            "household": {"external_id": f"H-SIM-{n:06d}", "category": "dibao",
                          "group": "elderly_special_difficulty", "region_code": model.DISTRICT,
                          "street": draw.street_name, "members": 1 + n % 4, "head_name": "模拟户主"},
            "need": {"kind": draw.kind, "category": draw.category, "title": f"模拟需求{n}",
                     "description": "模拟转介：一户困难家庭需要帮助。", "quantity": draw.quantity,
                     "estimated_value_fen": draw.value_fen, "urgency": "urgent" if draw.urgent else "normal",
                     "needed_by": (local_date(now) + timedelta(days=40)).isoformat()},
        }
        with self.step():
            referral = intake.receive(SOURCE, payload, actor_label="穗救易 (simulated)").referral
            referral_id = referral.id
        self.at(now + model.exp_days(self.rng, model.TRIAGE_MEAN_DAYS), "triage", referral_id, draw)

    def _on_triage(self, referral_id: int, draw: model.ReferralDraw) -> None:
        from marketplace.extensions import db
        from marketplace.households import service as households
        from marketplace.households.models import Referral

        today = local_date(self.clock[0])
        window = model.URGENT_CLAIM_WINDOW_DAYS if draw.urgent else model.CLAIM_WINDOW_DAYS
        deadline = today + timedelta(days=window)
        draft = households.NeedDraft(
            kind=draw.kind, category=draw.category, title=f"模拟需求{draw.n}",
            story="一户困难家庭需要帮助，详情见街道社工记录。", quantity=draw.quantity, value_fen=draw.value_fen,
            is_urgent=draw.urgent, claim_deadline=deadline,
            fulfil_by=deadline + timedelta(days=model.FULFIL_AFTER_DEADLINE_DAYS),
        )
        with self.step():
            need = households.triage(db.session.get(Referral, referral_id), draft, actor=self._staff())
            need_id = need.id
        self.at(self.clock[0] + model.exp_days(self.rng, model.PUBLISH_MEAN_DAYS), "publish", need_id)

    def _on_publish(self, need_id: int) -> None:
        from marketplace.extensions import db
        from marketplace.needs import transitions
        from marketplace.needs.models import Need

        with self.step():
            transitions.publish(db.session.get(Need, need_id), actor=self._staff())
        if self.settings.mode == "match":  # staff route it after their own delay (a triage's)
            self.at(self.clock[0] + model.exp_days(self.rng, model.TRIAGE_MEAN_DAYS), "route", need_id)

    def _on_route(self, need_id: int) -> None:
        """Staff route the need to its first suggested organisation that fits, has room and was not
        offered it before (`matching.suggest`), as an offer (`matching.offers.route`); the
        organisation hears of it (a notice) and answers after its own response time."""
        from marketplace.extensions import db
        from marketplace.matching import offers, suggest
        from marketplace.needs.models import Need, NeedStatus

        now = self.clock[0]
        try:
            with self.step():
                need = db.session.get(Need, need_id)
                if need.status != NeedStatus.PUBLISHED or need.claimed_by_id is not None or need.left == 0:
                    return  # taken before staff got to it (a need partly taken is routed for its rest)
                chosen = suggest.first_fitting(suggest.suggestions(need, now, limit=20))
                if chosen is None:
                    return  # nobody suggested fits: it stays in the pool
                offers.route(need, organisation=chosen, actor=self._staff(), now=now)
                index = self.by_org_id[chosen.id]
        except DomainError:
            self.tally.offers_refused += 1
            return
        self.tally.offers_routed += 1
        agent = self.orgs[index]
        answer_at = now + timedelta(hours=self.rng.expovariate(1 / agent.response_hours))
        self.at(_in_office_hours(answer_at, self.rng), "answer", index)

    def _on_answer(self, index: int) -> None:
        """The organisation answers the offers waiting for it (after the notice of one)."""
        self._answer_offers(self.orgs[index], self.clock[0])

    def _answer_offers(self, agent: model.OrgAgent, now: datetime) -> None:
        answers = self.strategy.answer_offers(agent, now)
        self.tally.offers_accepted += len(answers.accepted)
        self.tally.offers_declined += len(answers.declined)
        self.tally.offers_refused += answers.refused
        self.tally.parts += answers.parts
        for need_id, claim_id in answers.accepted:
            self.tally.claims += 1
            agent.open_claims.add(need_id)
            self.at(now + timedelta(days=model.delivery_days(self.rng, agent)), "deliver", agent.index, need_id,
                    claim_id)
        # staff hear of a decline, or of a part taken, and route the need (or its rest) on
        for need_id in answers.declined + answers.taken_in_part:
            self.at(now + model.exp_days(self.rng, model.TRIAGE_MEAN_DAYS), "route", need_id)

    def _on_look(self, index: int) -> None:
        from marketplace.accounts.models import User
        from marketplace.extensions import db
        from marketplace.needs import transitions
        from marketplace.needs.models import Need

        agent = self.orgs[index]
        now = self.clock[0]
        self.tally.looks += 1
        self._answer_offers(agent, now)
        if agent.free > 0:
            with self.step():
                picked = self.strategy.pick_needs(agent, now)
            for need_id in picked:
                if agent.free <= 0:
                    break
                try:
                    with self.step():
                        need = db.session.get(Need, need_id)
                        take = agent.takes(need.left, need.quantity, need.value_fen)
                        if take == 0 or need.part_of(agent.org_id) is not None:
                            continue  # too dear for it, or it holds a part already
                        claim = transitions.claim(need, actor=db.session.get(User, agent.user_id),
                                                  promised_by=promised(agent, need, now),
                                                  quantity=take if take < need.quantity else None)
                        claim_id, part = claim.id, take < need.quantity
                except DomainError:
                    self.tally.claims_refused += 1
                    continue
                self.tally.claims += 1
                self.tally.parts += part
                agent.open_claims.add(need_id)
                self.at(now + timedelta(days=model.delivery_days(self.rng, agent)), "deliver", index, need_id,
                        claim_id)
        self.at(_in_office_hours(now + model.exp_days(self.rng, model.LOOK_MEAN_DAYS), self.rng), "look", index)

    def _on_deliver(self, index: int, need_id: int, claim_id: int) -> None:
        from marketplace import storage
        from marketplace.accounts.models import User
        from marketplace.extensions import db
        from marketplace.needs import transitions
        from marketplace.needs.models import Need

        agent = self.orgs[index]
        with self.step():
            need, member = db.session.get(Need, need_id), db.session.get(User, agent.user_id)
            transitions.add_evidence(need, actor=member, kind="photo", stored=storage.store_photo(self.photo))
            transitions.deliver(need, actor=member)
        self.tally.deliveries += 1
        agent.open_claims.discard(need_id)
        self.at(self.clock[0] + model.exp_days(self.rng, model.CONFIRM_MEAN_DAYS), "confirm", need_id, claim_id)

    def _on_confirm(self, need_id: int, claim_id: int) -> None:
        """The caseworker confirms the delivery: the part it was, when the need is held in parts."""
        from marketplace.extensions import db
        from marketplace.needs import transitions
        from marketplace.needs.models import Claim, Need

        with self.step():
            need = db.session.get(Need, need_id)
            part = db.session.get(Claim, claim_id) if need.is_split else None
            transitions.confirm_by_caseworker(need, actor=self._staff(), rating=5, feedback="模拟回访：已收到。",
                                              part=part)
        self.tally.confirmations += 1

    def _on_staff_sweep(self) -> None:
        """Each morning staff re-plan the needs that expired unclaimed (new dates, published again)."""
        from marketplace.extensions import db
        from marketplace.needs.models import Need, NeedStatus

        with self.step():
            expired = list(db.session.scalars(sa.select(Need.id).where(
                Need.status == NeedStatus.EXPIRED, Need.district_code == model.DISTRICT).order_by(Need.id)))
        for need_id in expired:
            self.at(self.clock[0] + model.exp_days(self.rng, model.REPLAN_MEAN_DAYS), "replan", need_id)
        if self.settings.mode == "match":
            self._route_waiting()

    def _route_waiting(self) -> None:
        """Staff work down their queue's "needs waiting for an offer" (`offers.to_route_query`: a day
        or more published, no offer out, longest waiting first), routing up to ROUTE_SWEEP a morning:
        an organisation that was full when the need was published may have room now."""
        from marketplace.extensions import db
        from marketplace.matching import offers
        from marketplace.needs.models import Need

        now = self.clock[0]
        with self.step():
            waiting = offers.to_route_query(self._staff(), now).with_only_columns(Need.id)
            found = list(db.session.scalars(waiting.limit(model.ROUTE_SWEEP)))
        for need_id in found:
            self.at(now + model.exp_days(self.rng, model.TRIAGE_MEAN_DAYS), "route", need_id)

    def _on_replan(self, need_id: int) -> None:
        from marketplace.extensions import db
        from marketplace.needs import transitions
        from marketplace.needs.models import Need, NeedStatus

        today = local_date(self.clock[0])
        try:
            with self.step():
                need = db.session.get(Need, need_id)
                if need.status != NeedStatus.EXPIRED:
                    return  # re-planned already by an earlier sweep's event
                deadline = today + timedelta(days=model.CLAIM_WINDOW_DAYS)
                transitions.replan(need, actor=self._staff(), claim_deadline=deadline,
                                   fulfil_by=deadline + timedelta(days=model.FULFIL_AFTER_DEADLINE_DAYS))
        except DomainError:
            return
        self.tally.replans += 1

    def _on_tick(self) -> None:
        """The scheduler's jobs, each through `run_tick` (its own unit), then the late-light check."""
        from marketplace.extensions import db
        from marketplace.needs.models import Need, NeedStatus
        from marketplace.scheduler.jobs import registry, run_tick

        now = self.clock[0]
        hours = int((now - START).total_seconds()) // 3600
        for job in registry():
            if job.id not in JOB_HOURS or hours % JOB_HOURS[job.id]:
                continue
            if run_tick(job, now, "simulation") is not None:
                self.tally.job_runs += 1
        # A claim is late once its promised date has passed; the lights job just ran: is it red?
        with self.step():
            late = db.session.execute(sa.select(Need.id, Need.light).where(
                Need.status == NeedStatus.CLAIMED, Need.promised_by < local_date(now)).order_by(Need.id)).all()
        for need_id, light in late:
            self.tally.late_seen.setdefault(need_id, light == "red")

    # --- measuring --------------------------------------------------------------------------

    def _measure(self) -> dict[str, Any]:
        from marketplace.extensions import db
        from marketplace.households.models import Referral
        from marketplace.needs.models import Claim, Need, NeedStatus

        with self.step():
            first_claim = (sa.select(Claim.need_id, sa.func.min(Claim.created_at).label("at"))
                           .group_by(Claim.need_id).subquery())
            rows = db.session.execute(
                sa.select(Need.id, Need.status, Need.closed_at, Referral.referred_at, first_claim.c.at)
                .join(Referral, Need.referral_id == Referral.id)
                .outerjoin(first_claim, first_claim.c.need_id == Need.id).order_by(Need.id)
            ).all()
            referred = db.session.scalar(sa.select(sa.func.count()).select_from(Referral))
            statuses = dict(db.session.execute(
                sa.select(Need.status, sa.func.count()).group_by(Need.status).order_by(Need.status)).all())
        cohort_end = START + timedelta(days=min(CONFIRM_COHORT_DAYS, self.settings.days))
        cohort = [r for r in rows if _aware(r.referred_at) < cohort_end]
        closed = [r for r in cohort if r.status == NeedStatus.CLOSED]
        to_close = [_days(_aware(r.closed_at) - _aware(r.referred_at)) for r in closed]
        to_claim = [_days(_aware(r.at) - _aware(r.referred_at)) for r in cohort if r.at is not None]
        late = [self.tally.late_seen[k] for k in sorted(self.tally.late_seen)]
        return {
            "mode": self.settings.mode, "seed": self.settings.seed, "days": self.settings.days,
            "organisations": len(self.orgs), "referrals_per_day": self.settings.referrals_per_day,
            "referred": referred, "needs": len(rows), "cohort_needs": len(cohort),
            "closure_rate": _ratio(len(closed), len(cohort)),
            "median_days_to_close": _median(to_close), "p90_days_to_close": _percentile(to_close, 0.9),
            "median_days_to_claim": _median(to_claim), "p90_days_to_claim": _percentile(to_claim, 0.9),
            "late_claims": len(late), "late_lit_red_within_one_tick": _ratio(sum(late), len(late)),
            "offers_accepted": self.tally.offers_accepted, "offers_declined": self.tally.offers_declined,
            "offers_routed": self.tally.offers_routed, "offers_refused": self.tally.offers_refused,
            "parts": self.tally.parts,
            "claims": self.tally.claims, "claims_refused": self.tally.claims_refused, "looks": self.tally.looks,
            "deliveries": self.tally.deliveries, "confirmations": self.tally.confirmations,
            "replans": self.tally.replans, "job_runs": self.tally.job_runs,
            "needs_by_status": {str(k): v for k, v in sorted(statuses.items())},
        }


def _in_office_hours(moment: datetime, rng: random.Random) -> datetime:
    """Organisations look during office hours: a moment outside them moves to the next morning."""
    local = moment.astimezone(SHANGHAI)
    if 8 <= local.hour < 18:
        return moment
    day: date = local.date() + (timedelta(days=1) if local.hour >= 18 else timedelta())
    return datetime.combine(day, time(0), SHANGHAI) + model.office_hours(rng)


def _aware(moment: datetime) -> datetime:
    """Stored times come back aware (UTCDateTime); a naive one would be UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q of them at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, -(-int(q * 1000) * len(ordered) // 1000) - 1)], 3)


def _photo() -> bytes:
    """A small real JPEG: the delivery photo every organisation uploads."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, "JPEG")
    return out.getvalue()


def simulate(settings: Settings) -> dict[str, Any]:
    """Run one simulation on a scratch database (a temporary SQLite file unless one is given)."""
    if settings.mode not in STRATEGIES:
        raise SimulationError(f"unknown mode {settings.mode!r}: choose one of {', '.join(STRATEGIES)}")
    scratch = tempfile.mkdtemp(prefix="shanlian-simulation-")
    try:
        url = settings.database_url or f"sqlite:///{Path(scratch) / 'simulation.db'}"
        clock = [START]
        app = scratch_app(url, str(Path(scratch) / "evidence"), lambda: clock[0])
        _prepare(app)
        try:
            with app.app_context():
                return Simulation(app, settings, clock).run()
        finally:
            with app.app_context():
                from marketplace.extensions import db

                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
