"""Households (with their personal data) and inbound referrals."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.regions.models import Region, RegionScoped
from marketplace.search import personal
from marketplace.search.index import SearchColumns

if TYPE_CHECKING:
    from marketplace.needs.models import Need

STAFF_SOURCE = "staff"  # referrals entered by form or file rather than by an API source


class Household(RegionScoped, db.Model):
    """A household in hardship. Name, phone, address and ID number are personal data."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(60))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str] = mapped_column(sa.String(20))
    group: Mapped[str] = mapped_column(sa.String(30), index=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True, default=None)
    members: Mapped[int] = mapped_column(sa.SmallInteger)
    # Personal data: shown only to staff of the region, every view audited.
    head_name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    id_number: Mapped[str] = mapped_column(sa.String(18), default="")
    # Keyed hashes of the name, phone and ID number (search/personal.py): staff search finds a
    # household by an exact value through these indexes, never by comparing the values themselves.
    name_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=None)
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=None)
    id_number_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=None)
    # One household per ID number (一户一档): the ID number's keyed hash, held by the one household that
    # is the file of that number. UNIQUE, so concurrent referrals with one number make one household;
    # NULL where no number is known, and on a duplicate that was on file before this rule (it still has
    # its id_number_hash: the duplicates page finds it there, and a merge settles it).
    identity_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, default=None)
    light: Mapped[str | None] = mapped_column(sa.String(6), index=True, default=None)
    # Filled by the staff list's query (households/views.py): its open needs and when it was last helped.
    open_needs: Mapped[int | None] = query_expression()
    last_help_at: Mapped[datetime | None] = query_expression()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region | None] = relationship(foreign_keys=[street_code])
    referrals: Mapped[list[Referral]] = relationship(back_populates="household", order_by="Referral.id")
    needs: Mapped[list[Need]] = relationship(back_populates="household", order_by="Need.id")

    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_households_source_external_id"),
        sa.Index("ix_households_external_id", "external_id"),  # staff find a household by its source id
    )

    def stamp_lookup_keys(self) -> None:
        """Recompute the keyed hashes after the personal data changed."""
        for name, value in self.lookup_keys(self.head_name, self.phone, self.id_number).items():
            setattr(self, name, value)

    @staticmethod
    def lookup_keys(head_name: str, phone: str, id_number: str) -> dict[str, str | None]:
        """The keyed hash columns of these values (also for rows written without ORM objects)."""
        return {"name_hash": personal.digest(personal.NAME, head_name),
                "phone_hash": personal.digest(personal.PHONE, phone),
                "id_number_hash": personal.digest(personal.ID_NUMBER, id_number)}


class HouseholdMerge(db.Model):
    """A household merged into another: its old number redirects, its source's id still finds the kept one."""

    __tablename__ = "household_merges"

    merged_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the row itself is gone
    kept_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(60))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (sa.Index("ix_household_merges_source_external_id", "source", "external_id"),)


class ReferralStatus(StrEnum):
    """Where a referral stands in triage (later states come from its needs)."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    DECLINED = "declined"


REFERRAL_STATUS_LABELS = {ReferralStatus.RECEIVED: _l("waiting for triage"), ReferralStatus.TRIAGED: _l("triaged"),
                          ReferralStatus.DECLINED: _l("declined")}


class DeclineCode(StrEnum):
    """Why staff declined a referral, in the contract's codes (the outcome's `reason`)."""

    DUPLICATE = "duplicate"
    NOT_ELIGIBLE = "not_eligible"
    OUT_OF_AREA = "out_of_area"
    MET_ELSEWHERE = "met_elsewhere"
    OTHER = "other"


DECLINE_CODE_LABELS = {DeclineCode.DUPLICATE: _l("a duplicate of another referral"),
                       DeclineCode.NOT_ELIGIBLE: _l("not eligible"),
                       DeclineCode.OUT_OF_AREA: _l("outside our area"),
                       DeclineCode.MET_ELSEWHERE: _l("already met elsewhere"),
                       DeclineCode.OTHER: _l("other (write the reason)")}


class Referral(db.Model):
    """One inbound referral, idempotent by (source, external id)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(60))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default=ReferralStatus.RECEIVED)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The coded reason of a decline (DeclineCode), given back to the source as the outcome's reason.
    decline_code: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # What was asked for, as received; triage turns it into one or more needs.
    need_kind: Mapped[str] = mapped_column(sa.String(12))
    need_category: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[int] = mapped_column(default=1)
    estimated_value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    urgency: Mapped[str] = mapped_column(sa.String(10))
    needed_by: Mapped[date] = mapped_column(sa.Date)
    # The canonical JSON of what the source sent, so a replay can be told from a conflict.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    triaged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    # The API's change feed: the number and time of the last change its source can see
    # (marketplace/changes/stamp.py sets both at commit).
    change_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, server_default=sa.func.now())

    household: Mapped[Household] = relationship(back_populates="referrals")
    needs: Mapped[list[Need]] = relationship(back_populates="referral", order_by="Need.id")
    search_entry: Mapped[ReferralSearch | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_referrals_source_external_id"),
        sa.Index("ix_referrals_queue", "district_code", "status", "referred_at"),
        sa.Index("ix_referrals_feed", "source", "change_seq", "id"),
        enum_check("status", ReferralStatus),
        enum_check("decline_code", DeclineCode),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(REFERRAL_STATUS_LABELS[ReferralStatus(self.status)])

    @property
    def street_code(self) -> str | None:
        """The household's street: a referral lies where its household lives (for staff scope)."""
        return self.household.street_code


class ReferralSearch(SearchColumns, db.Model):
    """The segmented text of one referral: title; description, labels, places, source and id.

    Indexed like need_search (marketplace/search/index.py); households/search.py writes it.
    """

    __tablename__ = "referral_search"

    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True)
