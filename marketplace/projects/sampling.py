"""Inspection sampling: each cycle at least 30 % of the projects under works get a spot-check visit.

The choice is a pure function of (sorted population, seed); both are recorded with the run, so
anyone can re-derive which projects were picked and check nobody was left out or added by hand.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import datetime

import sqlalchemy as sa

from marketplace.audit import service as audit
from marketplace.extensions import db
from marketplace.projects.models import Inspection, Milestone, Project, SampleRun

RATE_PERCENT = 30


def choose(population: list[int], seed: int, rate_percent: int = RATE_PERCENT) -> list[int]:
    """The sampled ids: ceil(rate × n) of them, reproducible from the seed."""
    ordered = sorted(population)
    k = math.ceil(len(ordered) * rate_percent / 100)
    return sorted(random.Random(seed).sample(ordered, k))


def run(now: datetime, seed: int | None = None) -> SampleRun | None:
    """Sample the projects under works and open a pending spot-check visit for each one picked."""
    population = list(db.session.scalars(sa.select(Project.id).where(Project.milestone == Milestone.WORKS_STARTED)))
    if not population:
        return None
    seed = secrets.randbits(48) if seed is None else seed
    chosen = choose(population, seed)
    sample = SampleRun(ran_at=now, seed=seed, population=sorted(population), chosen=chosen)
    db.session.add(sample)
    db.session.flush()
    for project_id in chosen:
        db.session.add(Inspection(project_id=project_id, sample_id=sample.id, kind="spot_check"))
    audit.record("project.sample", actor_label="system", object_type="inspection_samples", object_id=sample.id,
                 after={"seed": seed, "population": len(population), "chosen": chosen})
    db.session.flush()
    return sample
