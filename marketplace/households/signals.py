"""What the households domain tells the features that keep rows of a household, without importing them.

A merge moves every row that points at the merged household to the kept one (households/merge.py);
a feature whose table allows one row per household (a visit plan) must first make room, so it
listens here and the dependency keeps pointing from the feature to households.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent inside the merge's transaction, both households locked, before any row moves:
# sender is the merged household's id, `kept_id` the household it joins.
merging = _signals.signal("household-merging")
