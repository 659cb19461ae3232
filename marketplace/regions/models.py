"""The region hierarchy: districts (6-digit codes) and their streets/towns (9-digit codes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db

DISTRICT = "district"
STREET = "street"


class Region(db.Model):
    """A district or a street, identified by its official administrative division code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    level: Mapped[str] = mapped_column(sa.String(10))
    parent_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("regions.code"), index=True, default=None
    )
    # The office residents and donors reach here (a district's civil-affairs bureau, a street's office).
    office_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    office_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    office_address: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    parent: Mapped[Region | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Region]] = relationship(
        back_populates="parent", order_by="Region.code"
    )

    __table_args__ = (sa.CheckConstraint("level IN ('district', 'street')", name="level"),)

    @property
    def district_code(self) -> str:
        """The code of the district this region is or belongs to."""
        return self.parent_code if self.level == STREET and self.parent_code else self.code

    @property
    def full_name(self) -> str:
        """"越秀区 北京街道" for a street, the name alone for a district."""
        return f"{self.parent.name} {self.name}" if self.parent else self.name

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class RegionScoped:
    """What every model placed in a district (and perhaps a street) can say about where it is.

    The model declares `district_code`, `street_code` and the `district`/`street` relationships;
    staff scope (`accounts/scope.covers`) reads the two codes.
    """

    if TYPE_CHECKING:  # declared by each model as mapped columns and relationships
        district_code: str
        street_code: str | None
        district: Region
        street: Region | None

    @property
    def region_code(self) -> str:
        """The most precise region known: the street, else the district."""
        return self.street_code or self.district_code

    @property
    def place(self) -> str:
        """The street (or district) name: as precise as may be shown to organisations and the public."""
        return self.street.name if self.street else self.district.name
