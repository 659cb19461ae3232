"""Outlets, meal pledges, the per-outlet-per-day quota counter, vouchers and eligibility codes.

No table here holds a phone number or a code in the clear: only keyed hashes (see `phones.py`,
`eligibility.py`), and a voucher's page token is kept as a SHA-256 digest.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.regions.models import Region


class Outlet(db.Model):
    """A company's restaurant or canteen where pledged meals are served."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(200))
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    street_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    # Local (Asia/Shanghai) serving hours; a voucher is valid inside them on its own day.
    serves_from: Mapped[time] = mapped_column(sa.Time)
    serves_until: Mapped[time] = mapped_column(sa.Time)
    photo_key: Mapped[str | None] = mapped_column(sa.String(80), default=None)
    photo_type: Mapped[str | None] = mapped_column(sa.String(30), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organisation: Mapped[Organisation] = relationship()
    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region] = relationship(foreign_keys=[street_code])

    __table_args__ = (sa.CheckConstraint("serves_from < serves_until", name="serving_hours"),)

    @property
    def hours(self) -> str:
        """"11:00–13:30"."""
        return f"{self.serves_from:%H:%M}–{self.serves_until:%H:%M}"


class PledgeStatus(StrEnum):
    """A pledge waits for staff approval; only approved pledges put meals on the days."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PLEDGE_STATUS_LABELS = {
    PledgeStatus.PENDING: _l("waiting for approval"),
    PledgeStatus.APPROVED: _l("approved"),
    PledgeStatus.REJECTED: _l("rejected"),
    PledgeStatus.WITHDRAWN: _l("withdrawn"),
}


WEEKDAY_LABELS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


class MealPledge(db.Model):
    """N meals a day at one outlet, on some weekdays of a date range."""

    __tablename__ = "meal_pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("outlets.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    meals_per_day: Mapped[int]
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    # Bit 0 = Monday … bit 6 = Sunday (date.weekday()).
    weekdays: Mapped[int] = mapped_column(sa.SmallInteger, default=127)
    status: Mapped[str] = mapped_column(sa.String(10), default=PledgeStatus.PENDING, index=True)
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    outlet: Mapped[Outlet] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.CheckConstraint("meals_per_day BETWEEN 1 AND 1000", name="meals_per_day"),
        sa.CheckConstraint("ends_on >= starts_on", name="date_range"),
        sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name="status"),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(PLEDGE_STATUS_LABELS[PledgeStatus(self.status)])

    @property
    def is_rejected(self) -> bool:
        """Staff turned it down (its reason is then for the company to read)."""
        return self.status == PledgeStatus.REJECTED

    @property
    def weekday_text(self) -> str:
        """"every day", or the chosen weekdays in the reader's language."""
        if self.weekdays == 127:
            return str(_l("every day"))
        return " ".join(str(label) for n, label in enumerate(WEEKDAY_LABELS) if self.weekdays >> n & 1)

    def serves_on(self, day: date) -> bool:
        """Whether this pledge puts meals on `day` (in range, on one of its weekdays)."""
        return self.starts_on <= day <= self.ends_on and bool(self.weekdays >> day.weekday() & 1)


class MealDay(db.Model):
    """The counters of one outlet on one day: meals pledged, booked, redeemed and expired.

    Booking is `UPDATE … SET booked = booked + 1 WHERE … AND booked < quota`, one statement, so two
    bookings can never both take the last meal; the check constraint refuses an oversold row even
    if some future code forgot the condition. `redeemed` and `expired` move in the same statement or
    transaction as the vouchers they count, so the counter's screen reads one row after every scan
    instead of counting the day's vouchers (`reports.company_days` still counts the vouchers).
    """

    __tablename__ = "meal_days"

    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("outlets.id"), primary_key=True)
    serve_date: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    quota: Mapped[int] = mapped_column(default=0)
    booked: Mapped[int] = mapped_column(default=0)
    redeemed: Mapped[int] = mapped_column(default=0, server_default="0")
    expired: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        sa.CheckConstraint("booked >= 0 AND booked <= quota", name="not_oversold"),
        # Every redeemed or expired voucher is one of the day's booked ones (cancelled are not counted).
        sa.CheckConstraint("redeemed >= 0 AND expired >= 0 AND redeemed + expired <= booked", name="counted"),
    )


class VoucherStatus(StrEnum):
    """A voucher is booked, then redeemed once, cancelled by the resident, or expired."""

    BOOKED = "booked"
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Voucher(db.Model):
    """One booked meal: valid at one outlet, on one day, inside that day's serving hours."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("outlets.id"))
    serve_date: Mapped[date] = mapped_column(sa.Date)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    phone_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10), default=VoucherStatus.BOOKED)
    eligibility_code_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("eligibility_codes.id"), index=True, default=None
    )
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    redeemed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    outlet: Mapped[Outlet] = relationship()

    __table_args__ = (
        # One meal per phone number per day; a cancelled voucher frees the number again.
        sa.Index(
            "uq_vouchers_phone_day", "phone_hash", "serve_date", unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"),
        ),
        sa.Index("ix_vouchers_outlet_day", "outlet_id", "serve_date", "status"),
        sa.Index("ix_vouchers_phone_status", "phone_hash", "status"),
        sa.Index("ix_vouchers_expiry", "status", "valid_until"),
        sa.CheckConstraint("status IN ('booked', 'redeemed', 'cancelled', 'expired')", name="status"),
        sa.CheckConstraint("status <> 'redeemed' OR redeemed_at IS NOT NULL", name="redeemed_at"),
    )


class EligibilityCode(db.Model):
    """A code from a caseworker or social worker: more meals after the free ones. Kept hashed.

    The first phone number that books with it is bound to it (as a keyed hash), so a code cannot be
    passed around; the resident then need not type it again until it expires or is revoked.
    """

    __tablename__ = "eligibility_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=None)
    # Who issued it: staff of a region, or a member of a social-work project.
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True, default=None)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True, default=None)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    expires_on: Mapped[date] = mapped_column(sa.Date)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)

    region: Mapped[Region | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
