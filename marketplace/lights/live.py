"""A need's light follows its transition at once, not at the scheduler's next run.

A claim turns a long-waiting red wish green the moment it is made; a delivery starts its
confirmation clock. The transition's need (and its household) is recomputed by the very rules
and statements of the periodic run (`recompute.refresh`), inside the transition's transaction.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from marketplace import clock
from marketplace.needs.signals import need_moved
from marketplace.visits.signals import household_visited


def _refresh(need: Any, **_: Any) -> None:
    from marketplace.lights.recompute import refresh

    refresh([need.id], clock.now())


def _refresh_household(household_id: int, **_: Any) -> None:
    from marketplace.lights.recompute import refresh_households

    refresh_households([household_id], clock.now())


def init_app(app: Flask) -> None:
    """Listen to need transitions and visits (once per process; connecting twice is a no-op)."""
    need_moved.connect(_refresh, weak=False)
    household_visited.connect(_refresh_household, weak=False)
