"""Government departments and the transfers of needs and referrals to them (转办转介)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.needs.models import Need
from marketplace.regions.models import Region, RegionScoped

# The departments a street office usually hands cases to; seeded by the migration and the demo.
DEFAULT_DEPARTMENTS = (
    ("医保局", "医疗保障"), ("住建局", "住房保障与危房改造"), ("人社局", "就业与社会保险"),
    ("教育局", "教育资助"), ("残联", "残疾人服务与辅具"), ("卫健局", "医疗卫生与健康服务"),
    ("民政局", "社会救助与养老服务"),
)


class Department(db.Model):
    """A government department staff may transfer a case to, with the contact who answers."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    remit: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(120), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class TransferStatus(StrEnum):
    """The contract's `needs[].transfer.status`: waiting for the answer, answered, or past its deadline."""

    REQUESTED = "requested"
    ANSWERED = "answered"
    OVERDUE = "overdue"


OPEN_TRANSFER = (TransferStatus.REQUESTED, TransferStatus.OVERDUE)
TRANSFER_STATUS_LABELS = {TransferStatus.REQUESTED: _l("waiting for the department"),
                          TransferStatus.ANSWERED: _l("answered"),
                          TransferStatus.OVERDUE: _l("answer overdue")}


class TransferOutcome(StrEnum):
    """What the department's answer means for the case."""

    TAKEN_OVER = "taken_over"  # the department helps: the need ends here
    RETURNED = "returned"  # not for the department: the need comes back to staff


TRANSFER_OUTCOME_LABELS = {TransferOutcome.TAKEN_OVER: _l("taken over by the department"),
                           TransferOutcome.RETURNED: _l("returned to us")}


class Transfer(RegionScoped, db.Model):
    """One case handed to a department with a deadline for its answer; at most one open per need."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id"), index=True, default=None)
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True, default=None)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), default=None)
    status: Mapped[str] = mapped_column(sa.String(10), default=TransferStatus.REQUESTED)
    # What staff ask of the department (internal: it may describe the household).
    request_note: Mapped[str] = mapped_column(sa.Text, default="")
    due_on: Mapped[date] = mapped_column(sa.Date)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[str | None] = mapped_column(sa.String(12), default=None)
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    department: Mapped[Department] = relationship()
    need: Mapped[Need | None] = relationship()
    referral: Mapped[Referral | None] = relationship()
    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region | None] = relationship(foreign_keys=[street_code])

    __table_args__ = (
        # Two staff transferring one need at once: the database keeps one open transfer.
        sa.Index("uq_transfers_one_open_per_need", "need_id", unique=True,
                 sqlite_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL"),
                 postgresql_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL")),
        sa.Index("ix_transfers_queue", "district_code", "status", "due_on"),
        sa.Index("ix_transfers_street", "street_code", "status", "due_on"),
        sa.CheckConstraint("need_id IS NOT NULL OR referral_id IS NOT NULL", name="of_need_or_referral"),
        enum_check("status", TransferStatus),
        enum_check("outcome", TransferOutcome),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(TRANSFER_STATUS_LABELS[TransferStatus(self.status)])

    @property
    def outcome_label(self) -> str:
        """The outcome in the reader's language ('' while open)."""
        return str(TRANSFER_OUTCOME_LABELS[TransferOutcome(self.outcome)]) if self.outcome else ""

    @property
    def is_open(self) -> bool:
        """Whether the department has still to answer."""
        return self.status in OPEN_TRANSFER

    @property
    def title(self) -> str:
        """What was transferred: the need's public title, else the referral's."""
        if self.need is not None:
            return self.need.title
        return self.referral.title if self.referral is not None else ""
