"""Which claim-bound data of a need a reader sees: evidence photos, receipts and notes.

A need may pass through several claims (released, or reassigned by staff). What one claim's
organisation uploaded or wrote is that claim's, and once the claim ends it is shown to no other
organisation: an organisation member sees only the evidence of its organisation's *current* claim
(the active one, or the completed one of a closed need). Staff whose region covers the need see
every claim's evidence, as they see every claim's history.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role
from marketplace.accounts.scope import covers
from marketplace.needs.models import Claim, ClaimStatus, Evidence, Need

# A claim still holds its need while active, and keeps it after the need closed on its delivery.
HOLDING = (ClaimStatus.ACTIVE, ClaimStatus.COMPLETED)


def current_claim(need: Need) -> Claim | None:
    """The claim holding the need now: its latest claim, if that one is active or completed."""
    latest = need.claims[-1] if need.claims else None
    if latest is None or latest.status not in HOLDING or latest.organisation_id != need.claimed_by_id:
        return None
    return latest


def viewers_claim(need: Need, user: Any) -> Claim | None:
    """The need's current claim when it is the viewing member's organisation's; else None.

    A need held in parts has a current claim per organisation: its latest part, while that part is
    active or completed (a released part's evidence is no longer its organisation's to see).
    """
    if not getattr(user, "is_authenticated", False) or user.role != Role.ORG_MEMBER:
        return None
    own = [c for c in need.claims if c.organisation_id == user.organisation_id]
    if need.is_split or any(c.quantity < need.quantity for c in own):
        return own[-1] if own and own[-1].status in HOLDING else None
    claim = current_claim(need)
    return claim if claim is not None and claim.organisation_id == user.organisation_id else None


def _is_staff_of(user: Any, need: Need) -> bool:
    return getattr(user, "is_authenticated", False) and covers(user, need)


def evidence_for(need: Need, user: Any) -> list[Evidence]:
    """The evidence this user may see: every claim's for the region's staff, the current claim's for
    its organisation's members, nothing for anyone else."""
    if _is_staff_of(user, need):
        return list(need.evidence)
    claim = viewers_claim(need, user)
    return [item for item in need.evidence if claim is not None and item.claim_id == claim.id]


def may_see_evidence(user: Any, item: Evidence) -> bool:
    """Whether the user may open one evidence file (the same rule as `evidence_for`)."""
    if _is_staff_of(user, item.need):
        return True
    claim = viewers_claim(item.need, user)
    return claim is not None and item.claim_id == claim.id
