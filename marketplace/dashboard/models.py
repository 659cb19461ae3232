"""One row of precomputed figures per region (and one for the whole city, code "all")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime
from marketplace.extensions import db


class RegionStats(db.Model):
    """The dashboard figures of a region as of `computed_at`."""

    __tablename__ = "region_stats"

    region_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
