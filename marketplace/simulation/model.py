"""The district simulation's model: who acts, how often, and the distributions they are drawn from.

Every figure here is documented in docs/matching.md ("The district simulation"); every draw comes from one
`random.Random(seed)` the run owns, in a fixed order, so one seed gives one history.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

from marketplace import taxonomy

DISTRICT = "440104"  # 越秀区
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

# Referrals: Poisson arrivals per day, during office hours (08:00–18:00 Guangzhou). 15 a day is
# ~5,500 a year for one district of ~1 million residents, ~4 times Zhongshan's 1,823 requests of a
# city programme's first phase: a busy district, so the backlog outgrows the public list's first page.
REFERRALS_PER_DAY = 15.0
WISH_SHARE = 0.7  # the rest are services
URGENT_SHARE = 0.15
MULTI_QUANTITY_SHARE = 0.1  # quantity 2–6 (e.g. a set of fall-prevention rails)

# The taxonomy's mix: weights of the care categories (wishes) and social services (services).
WISH_CATEGORY_WEIGHTS = {"daily_living": 40, "medical": 15, "education": 15, "housing": 12, "employment": 8,
                         "visit": 10}
SERVICE_CATEGORY_WEIGHTS = {"cleaning": 12, "meals": 14, "medical_escort": 12, "mobility": 8, "emergency": 4,
                            "childcare": 6, "counselling": 8, "companionship": 14, "rehab_nursing": 10,
                            "home_safety": 8, "life_skills": 4}

# Staff: delays (days, exponential) from arrival to triage, triage to publish, delivery to confirmation.
TRIAGE_MEAN_DAYS = 0.5
PUBLISH_MEAN_DAYS = 0.3
CONFIRM_MEAN_DAYS = 2.0
ROUTE_SWEEP = 20  # match mode: each morning staff route this many of the longest-waiting needs with no offer out
REPLAN_MEAN_DAYS = 1.0  # an expired need is re-planned with new dates
CLAIM_WINDOW_DAYS = 14  # claim deadline after triage (urgent: 5)
URGENT_CLAIM_WINDOW_DAYS = 5
FULFIL_AFTER_DEADLINE_DAYS = 21

# Organisations.
ORGANISATIONS = 60
ORG_KIND_WEIGHTS = {"charity": 50, "company": 30, "project": 20}
CATEGORIES_PER_ORG = (1, 3)  # uniform, inclusive: most organisations do one or two things
DISTRICT_WIDE_SHARE = 0.25  # the rest serve 1–3 streets (a neighbourhood charity, a local firm)
LOOK_MEAN_DAYS = 3.0  # an organisation looks at the marketplace every Exp(3 days), in office hours
CAPACITY_EXTRA_MEAN = 2.0  # open claims at once: 1 + Poisson(2)
ITEMS_EXTRA_MEAN = 1.5  # items it can take in one claim: 1 + Poisson(1.5); fewer than a need's → a part
VALUE_MAX_YUAN = (800, 3000)  # the most it usually covers per claim: uniform ¥800–¥3,000
RESPONSE_MEAN_HOURS = (4, 24)  # its usual answer to a notice (a routed offer): uniform 4–24 h mean, Exp
DELIVERY_MEDIAN_DAYS = 4.0  # delivery takes LogNormal(median 4 days, sigma 0.6)
DELIVERY_SIGMA = 0.6
PROMISE_FACTOR = 1.5  # promise = ceil(the organisation's usual delivery time × 1.5)
BROWSE_PAGE = 20  # the public list's page size (needs/browse.PAGE_SIZE)

# The scheduler's jobs run on the simulated clock; one simulated step is this long.
STEP = 3 * HOUR  # the lights and expiry jobs run every step (JOB_HOURS in run.py)


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """A key drawn by weight, in the dict's written order (never a set's)."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: small means only (a day's referrals), exact and deterministic."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def office_hours(rng: random.Random) -> timedelta:
    """A moment between 08:00 and 18:00 of a day, as an offset from local midnight."""
    return timedelta(hours=8) + timedelta(seconds=rng.randrange(10 * 3600))


@dataclass
class ReferralDraw:
    """One referral as the outside assistance system sends it."""

    n: int
    kind: str
    category: str
    urgent: bool
    quantity: int
    value_fen: int
    street_code: str
    street_name: str


def draw_referral(rng: random.Random, n: int, streets: list[tuple[str, str]]) -> ReferralDraw:
    """A referral of the taxonomy's mix: mostly wishes, some urgent, some of several items."""
    kind = "wish" if rng.random() < WISH_SHARE else "service"
    category = weighted(rng, WISH_CATEGORY_WEIGHTS if kind == "wish" else SERVICE_CATEGORY_WEIGHTS)
    urgent = rng.random() < URGENT_SHARE
    quantity = rng.randint(2, 6) if rng.random() < MULTI_QUANTITY_SHARE else 1
    value = rng.randrange(50, 1500) * 100 * quantity  # ¥50–¥1,500 each, under the wish cap
    code, name = streets[rng.randrange(len(streets))]
    return ReferralDraw(n, kind, category, urgent, quantity, min(value, 200_000), code, name)


@dataclass
class OrgAgent:
    """An organisation of the simulation: what it does, where, how much at once, how fast."""

    index: int
    kind: str
    categories: list[str]
    streets: list[str]  # empty: the whole district
    capacity: int
    delivery_median_days: float
    max_items: int = 1
    value_max_fen: int = 0
    response_hours: float = 12.0
    org_id: int = 0
    user_id: int = 0
    open_claims: set[int] = field(default_factory=set)

    def serves(self, category: str, street_code: str | None) -> bool:
        """Whether a need is one this organisation would take."""
        return category in self.categories and (not self.streets or street_code in self.streets)

    def takes(self, left: int, quantity: int, value_fen: int) -> int:
        """How much of a need it takes: what is left, at most its items per claim, and only while the
        share of the value stays within what it usually covers (0: none)."""
        take = min(left, self.max_items)
        while take > 0 and value_fen * take // max(quantity, 1) > self.value_max_fen:
            take -= 1
        return take

    @property
    def free(self) -> int:
        """Claims it can still take now."""
        return self.capacity - len(self.open_claims)


# The organisations every Guangzhou district already has, before any drawn one: a social-work
# station in each street (the city's 家庭综合服务中心, now 社工站, one per street since 2011,
# government-funded) offering the social services and visits on its street, and the district's
# charity federation (区慈善会) giving goods and grants across the district. Without them the
# drawn population left 6–19 % of needs with no organisation anywhere able to take them
# (docs/matching.md, "Who serves the district").
STATION_CATEGORIES = ["visit", *SERVICE_CATEGORY_WEIGHTS]
STATION_CAPACITY_BASE = 2  # open claims at once: 2 + Poisson(2), a small team
FEDERATION_CATEGORIES = ["daily_living", "medical", "education", "housing", "employment"]
FEDERATION_CAPACITY = 30  # gifts and grants, given by its staff and volunteers: many at once
FEDERATION_ITEMS = 10
FEDERATION_VALUE_MAX_YUAN = 5000


def draw_population(rng: random.Random, count: int, streets: list[str]) -> list[OrgAgent]:
    """The district's organisations: with room for them (count > streets), one station per street
    and the charity federation, then drawn ones up to `count`."""
    agents: list[OrgAgent] = []
    if count > len(streets):
        for street in streets:
            agents.append(_standing(rng, len(agents), "project", STATION_CATEGORIES, [street],
                                    STATION_CAPACITY_BASE + poisson(rng, CAPACITY_EXTRA_MEAN),
                                    1 + poisson(rng, ITEMS_EXTRA_MEAN), rng.randint(*VALUE_MAX_YUAN) * 100))
        agents.append(_standing(rng, len(agents), "charity", FEDERATION_CATEGORIES, [], FEDERATION_CAPACITY,
                                FEDERATION_ITEMS, FEDERATION_VALUE_MAX_YUAN * 100))
    while len(agents) < count:
        agents.append(draw_org(rng, len(agents), streets))
    return agents


def _standing(rng: random.Random, index: int, kind: str, categories: list[str], streets: list[str],
              capacity: int, max_items: int, value_max_fen: int) -> OrgAgent:
    speed = usual_delivery_days(rng)
    response = rng.uniform(*RESPONSE_MEAN_HOURS)
    return OrgAgent(index, kind, list(categories), streets, capacity, speed, max_items, value_max_fen, response)


def usual_delivery_days(rng: random.Random) -> float:
    """An organisation's usual delivery time: organisations differ around the median."""
    return DELIVERY_MEDIAN_DAYS * math.exp(rng.gauss(0, 0.3))


def draw_org(rng: random.Random, index: int, streets: list[str]) -> OrgAgent:
    """An organisation with drawn capabilities, capacity and speed."""
    kind = weighted(rng, ORG_KIND_WEIGHTS)
    pool = {**WISH_CATEGORY_WEIGHTS, **SERVICE_CATEGORY_WEIGHTS}
    wanted = rng.randint(*CATEGORIES_PER_ORG)
    categories: list[str] = []
    while len(categories) < wanted:
        pick = weighted(rng, pool)
        if pick not in categories:
            categories.append(pick)
    served: list[str] = []
    if rng.random() >= DISTRICT_WIDE_SHARE:
        served = sorted(rng.sample(streets, rng.randint(1, 3)))
    capacity = 1 + poisson(rng, CAPACITY_EXTRA_MEAN)
    speed = usual_delivery_days(rng)
    assert all(c in taxonomy.NEED_CATEGORIES for c in categories)
    max_items = 1 + poisson(rng, ITEMS_EXTRA_MEAN)
    value_max = rng.randint(*VALUE_MAX_YUAN) * 100
    response = rng.uniform(*RESPONSE_MEAN_HOURS)
    return OrgAgent(index, kind, categories, served, capacity, speed, max_items, value_max, response)


def delivery_days(rng: random.Random, org: OrgAgent) -> float:
    """How long this delivery takes (log-normal around the organisation's usual time)."""
    return org.delivery_median_days * math.exp(rng.gauss(0, DELIVERY_SIGMA))


def promise_days(org: OrgAgent) -> int:
    """The date an organisation promises: its usual time with a margin, in whole days."""
    return max(1, math.ceil(org.delivery_median_days * PROMISE_FACTOR))


def exp_days(rng: random.Random, mean: float) -> timedelta:
    """An exponential delay with the given mean, in days."""
    return timedelta(days=rng.expovariate(1 / mean))
