"""How many referrals of the simulation's mix no organisation of its district could take at all.

An upper bound on `flask simulate`'s closure rate that no matching can beat: a referral counts as
covered when some organisation of the drawn population provides its category, serves its street
(or the whole district) and covers the value of one item. Pure model draws, no database.

    .venv/bin/python scripts/sim_coverage.py                 # seeds 1–3, the model's population
    .venv/bin/python scripts/sim_coverage.py --drawn-only    # without the stations and the federation
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

from marketplace.simulation import model


def coverage(seed: int, organisations: int, referrals: int, drawn_only: bool) -> tuple[float, Counter[str]]:
    streets = [f"street-{i:02d}" for i in range(18)]  # 越秀区 has 18 streets; only their number matters here
    rng = random.Random(seed)
    if drawn_only:
        orgs = [model.draw_org(rng, i, streets) for i in range(organisations)]
    else:
        orgs = model.draw_population(rng, organisations, streets)
    uncovered: Counter[str] = Counter()
    for n in range(referrals):
        r = model.draw_referral(rng, n, [(s, s) for s in streets])
        if not any(o.serves(r.category, r.street_code) and o.takes(r.quantity, r.quantity, r.value_fen)
                   for o in orgs):
            uncovered[r.category] += 1
    return 1 - sum(uncovered.values()) / referrals, uncovered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--organisations", type=int, default=model.ORGANISATIONS)
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--drawn-only", action="store_true",
                        help="every organisation drawn (no stations, no federation)")
    args = parser.parse_args()
    for seed in args.seeds:
        share, uncovered = coverage(seed, args.organisations, args.referrals, args.drawn_only)
        worst = ", ".join(f"{c} {n}" for c, n in uncovered.most_common(4)) or "none"
        print(f"seed {seed}: {share:.3f} of referrals have an organisation that can take them; uncovered: {worst}")


if __name__ == "__main__":
    main()
