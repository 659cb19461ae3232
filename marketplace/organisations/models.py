"""Organisations, the regions they serve, the categories they help with, and advice on their review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.regions.models import Region
from marketplace.search.index import SearchColumns

if TYPE_CHECKING:
    from marketplace.accounts.models import User


class OrgStatus(StrEnum):
    """Where an organisation stands with the staff who vet it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_LABELS = {
    OrgStatus.PENDING: _l("pending review"),
    OrgStatus.APPROVED: _l("approved"),
    OrgStatus.REJECTED: _l("rejected"),
}


class Decision(StrEnum):
    """What a review decides, or a recommendation advises."""

    APPROVE = "approve"
    REJECT = "reject"


DECISION_LABELS = {Decision.APPROVE: _l("approve"), Decision.REJECT: _l("reject")}


organisation_regions = sa.Table(
    "organisation_regions",
    db.metadata,
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_code", sa.ForeignKey("regions.code"), primary_key=True, index=True),
)


class OrganisationCategory(db.Model):
    """One category (care category or social service code) an organisation helps with."""

    __tablename__ = "organisation_categories"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(sa.String(30), primary_key=True, index=True)


class Organisation(db.Model):
    """A charity, caring company or social-work project; may act only once approved."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10), index=True)
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(sa.String(50))
    contact_phone: Mapped[str] = mapped_column(sa.String(20))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=OrgStatus.PENDING, index=True)
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The capability profile (docs/matching.md): with the categories and regions above, what the
    # recommendations and routed offers read. None: not stated (no limit, no preference).
    capacity_open: Mapped[int | None] = mapped_column(default=None)  # claims and offers open at once
    capacity_month: Mapped[int | None] = mapped_column(default=None)  # claims taken per calendar month
    value_min_fen: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    value_max_fen: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    response_hours: Mapped[int | None] = mapped_column(default=None)  # how fast it usually answers

    regions: Mapped[list[Region]] = relationship(secondary=organisation_regions, order_by=Region.code)
    category_rows: Mapped[list[OrganisationCategory]] = relationship(
        cascade="all, delete-orphan", order_by=OrganisationCategory.category
    )
    # In the order they joined: the first is the one who registered the organisation.
    members: Mapped[list[User]] = relationship(
        back_populates="organisation", foreign_keys="User.organisation_id", order_by="User.id"
    )
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="organisation", order_by="Recommendation.id"
    )

    search_entry: Mapped[OrganisationSearch | None] = relationship(cascade="all, delete-orphan",
                                                                   passive_deletes=True)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('charity', 'company', 'project')", name="kind"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        sa.CheckConstraint("value_min_fen IS NULL OR value_max_fen IS NULL OR value_min_fen <= value_max_fen",
                           name="value_range"),
    )

    @property
    def categories(self) -> list[str]:
        """The category codes this organisation helps with."""
        return [row.category for row in self.category_rows]

    @property
    def status_label(self) -> str:
        """The status in the reader's language."""
        return str(STATUS_LABELS[OrgStatus(self.status)])

    @property
    def is_approved(self) -> bool:
        """Only approved organisations may claim, pledge or redeem."""
        return self.status == OrgStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name} {self.status}>"


class Recommendation(db.Model):
    """A caseworker's advice on an organisation they may not decide themselves (a street's staff on an
    organisation that serves more than their street): the deciding staff read it on the review page."""

    __tablename__ = "organisation_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    decision: Mapped[str] = mapped_column(sa.String(8))  # Decision
    reason: Mapped[str] = mapped_column(sa.Text)
    recommended_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organisation: Mapped[Organisation] = relationship(back_populates="recommendations")
    recommended_by: Mapped[User] = relationship()

    __table_args__ = (enum_check("decision", Decision),)

    @property
    def decision_label(self) -> str:
        """The advised decision in the reader's language."""
        return str(DECISION_LABELS[Decision(self.decision)])


class OrganisationSearch(SearchColumns, db.Model):
    """The segmented text of one organisation: name; description, kind, what it helps with, regions.

    Indexed like need_search (marketplace/search/index.py); organisations/search.py writes it.
    """

    __tablename__ = "organisation_search"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
