"""The counter behind the referral change sequence."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class ChangeCounter(db.Model):
    """One row per counter. Bumping it with UPDATE … RETURNING locks the row until commit, so the
    change sequence numbers become visible to readers in the order they were handed out."""

    __tablename__ = "change_counter"

    name: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
