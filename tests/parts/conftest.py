"""A need of 120 fall-prevention kits, published, for the split-fulfilment tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace import storage
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.needs import transitions
from tests.conftest import make_need, tiny_jpeg


def big_need(quantity: int = 120, **kwargs):  # type: ignore[no-untyped-def]
    """A published need of `quantity` items (the referral asked for that many)."""
    need = make_need("published", **kwargs)
    need.quantity = quantity
    need.referral.quantity = quantity
    db.session.commit()
    return need


def soon(days: int = 5):  # type: ignore[no-untyped-def]
    return today_shanghai() + timedelta(days=days)


def deliver_part(need, member):  # type: ignore[no-untyped-def]
    """The member's organisation proves and marks its part delivered."""
    transitions.add_evidence(need, actor=member, kind="photo", stored=storage.store_photo(tiny_jpeg()))
    transitions.deliver(need, actor=member)


@pytest.fixture
def need120(app):  # type: ignore[no-untyped-def]
    return big_need()
