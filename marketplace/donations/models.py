"""Donations, what each paid to a plan line, and the Stripe events already applied."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.regions.models import Region


class DonationStatus(StrEnum):
    """A donation waits for payment, then fails or succeeds; a succeeded one may be refunded."""

    CREATED = "created"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    REFUNDED = "refunded"


# A donation's status only moves forward along this order (a late "failed" never undoes "succeeded").
STATUS_RANK = {DonationStatus.CREATED: 0, DonationStatus.FAILED: 1, DonationStatus.SUCCEEDED: 2,
               DonationStatus.REFUNDED: 3}
STATUS_LABELS = {DonationStatus.CREATED: _l("awaiting payment"), DonationStatus.FAILED: _l("payment failed"),
                 DonationStatus.SUCCEEDED: _l("received, thank you"), DonationStatus.REFUNDED: _l("refunded")}


class Donation(db.Model):
    """Money given to a project (or to a district's general fund). `token` names it in public URLs."""

    __tablename__ = "donations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"), index=True, default=None)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    # On success: the part that went to the project's plan and the excess for the general fund.
    project_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    general_fund_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[str] = mapped_column(sa.String(10), default=DonationStatus.CREATED)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True, default=None)
    donor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    show_name: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    receipt_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    project: Mapped[Project | None] = relationship()
    district: Mapped[Region] = relationship()
    allocations: Mapped[list[DonationAllocation]] = relationship(order_by="DonationAllocation.id")

    __table_args__ = (
        enum_check("status", DonationStatus),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(STATUS_LABELS[DonationStatus(self.status)])

    @property
    def public_name(self) -> str:
        """The name shown publicly: the donor's if they chose so, else anonymous."""
        return self.donor_name if self.show_name and self.donor_name else str(_l("Anonymous donor"))


class DonationAllocation(db.Model):
    """The part of a succeeded donation that covers one plan line."""

    __tablename__ = "donation_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_lines.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)


class StripeEvent(db.Model):
    """A Stripe event already applied: the primary key makes a second application impossible."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
