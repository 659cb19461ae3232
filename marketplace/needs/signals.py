"""What the needs domain tells the features that follow it, without importing them.

Lights, for one, depend on needs; a need's transition announces itself here and the lights
package (which may import needs) listens, so the dependency keeps pointing one way.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent inside the transaction, right after a need's state move, with the moved need.
need_moved = _signals.signal("need-moved")
