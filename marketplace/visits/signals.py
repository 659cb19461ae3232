"""What the visits domain tells the features that follow it, without importing them.

Lights depend on visits (an overdue visit lights a household); a recorded visit announces itself
here and the lights package listens, so the dependency keeps pointing one way.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent inside the transaction, right after a visit is recorded, with the household's id.
household_visited = _signals.signal("household-visited")
