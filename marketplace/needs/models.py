"""Needs, the claims organisations make on them, and the evidence of delivery."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.regions.models import Region, RegionScoped
from marketplace.search.index import SearchColumns

if TYPE_CHECKING:  # households is the layer above (triage makes needs from referrals): type hints only
    from marketplace.households.models import Household, Referral


class NeedStatus(StrEnum):
    """The states of DESIGN.md §4."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


NEED_STATUS_LABELS = {
    NeedStatus.DRAFT: _l("draft"),
    NeedStatus.PUBLISHED: _l("waiting for a claim"),
    NeedStatus.CLAIMED: _l("claimed"),
    NeedStatus.DELIVERED: _l("delivered, awaiting confirmation"),
    NeedStatus.CLOSED: _l("closed"),
    NeedStatus.CANCELLED: _l("cancelled"),
    NeedStatus.EXPIRED: _l("expired without a claim"),
}

OPEN_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.CLAIMED, NeedStatus.DELIVERED)
# Whose page anyone may open (a draft, an expired or a cancelled need is shown to no one outside staff).
PUBLIC_STATUSES = (*OPEN_STATUSES, NeedStatus.CLOSED)


class NeedKind(StrEnum):
    """What is asked for: a micro-wish (a thing), a service, or a home renovation (a project)."""

    WISH = "wish"
    SERVICE = "service"
    RENOVATION = "renovation"


class ConfirmedVia(StrEnum):
    """Who confirmed the delivery: the caseworker after a visit, or the recipient with the slip's code."""

    CASEWORKER = "caseworker"
    RECIPIENT = "recipient"


class Need(RegionScoped, db.Model):
    """What is published for organisations: a public, pseudonymised story and a value."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True, default=None)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True, default=None)
    kind: Mapped[str] = mapped_column(sa.String(12))  # NeedKind
    category: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(100))
    story: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[int] = mapped_column(default=1)
    # How much of `quantity` the parts hold (active and completed claims): one conditional UPDATE
    # adds a part's quantity only while it fits, so parts never add up to more (docs/parts.md).
    claimed_quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    is_urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default=NeedStatus.DRAFT)  # NeedStatus
    claim_deadline: Mapped[date] = mapped_column(sa.Date)
    fulfil_by: Mapped[date] = mapped_column(sa.Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The organisation holding the active claim (denormalised for listing; the claim is the record).
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), default=None)
    promised_by: Mapped[date | None] = mapped_column(sa.Date, default=None)
    # Recipient confirmation: only a keyed hash of the printed one-time code is kept.
    recipient_code_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    confirmed_via: Mapped[str | None] = mapped_column(sa.String(12), default=None)  # ConfirmedVia
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger, default=None)
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    last_reason: Mapped[str] = mapped_column(sa.Text, default="")
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    # With a government department (transfers/): held as a draft, out of the public pool, until it answers.
    transfer_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    household: Mapped[Household] = relationship(back_populates="needs")
    referral: Mapped[Referral | None] = relationship(back_populates="needs")
    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region | None] = relationship(foreign_keys=[street_code])
    claimed_by: Mapped[Organisation | None] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="need", order_by="Claim.id")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="need", order_by="Evidence.id")
    # The need's search tokens (needs/search.py writes them on every flush that changes the text).
    search_entry: Mapped[NeedSearch | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # Browsing: open needs by urgency then waiting time, with the common filters in front.
        sa.Index("ix_needs_browse", "status", "is_urgent", "published_at", "id"),
        sa.Index("ix_needs_browse_district", "status", "district_code", "is_urgent", "published_at", "id"),
        sa.Index("ix_needs_browse_street", "status", "street_code", "is_urgent", "published_at", "id"),
        sa.Index("ix_needs_browse_category", "status", "category", "is_urgent", "published_at", "id"),
        sa.Index("ix_needs_queue", "district_code", "status", "updated_at"),
        sa.Index("ix_needs_light", "district_code", "light", "published_at", "id"),
        sa.Index("ix_needs_light_street", "street_code", "light", "published_at", "id"),
        # The staff list by light, in its default order (the oldest change first).
        sa.Index("ix_needs_light_changed", "district_code", "light", "updated_at", "id"),
        sa.Index("ix_needs_light_changed_street", "street_code", "light", "updated_at", "id"),
        # A claiming organisation's light is probes on this (lights/rules.py); it serves "my claims" too.
        sa.Index("ix_needs_claimed_light", "claimed_by_id", "status", "light"),
        enum_check("status", NeedStatus),
        enum_check("kind", NeedKind),
        enum_check("confirmed_via", ConfirmedVia),
        sa.CheckConstraint("value_fen >= 0", name="value_not_negative"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        sa.CheckConstraint("claimed_quantity BETWEEN 0 AND quantity", name="claimed_within_quantity"),
    )

    @property
    def left(self) -> int:
        """How much of the quantity no part holds yet."""
        return max(self.quantity - (self.claimed_quantity or 0), 0)

    @property
    def parts(self) -> list[Claim]:
        """The parts that hold or held the need (active or completed claims), oldest first."""
        return [c for c in self.claims if c.status in (ClaimStatus.ACTIVE, ClaimStatus.COMPLETED)]

    @property
    def is_split(self) -> bool:
        """Taken (or being taken) in parts: no single claim holds the whole quantity."""
        return any(c.quantity < self.quantity for c in self.parts)

    def part_of(self, organisation_id: int | None) -> Claim | None:
        """The active part of this organisation, if it holds one."""
        return next((c for c in self.claims if c.is_active and c.organisation_id == organisation_id), None)

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(NEED_STATUS_LABELS[NeedStatus(self.status)])

    @property
    def active_claim(self) -> Claim | None:
        """The claim currently holding this need, if any."""
        return next((c for c in self.claims if c.is_active), None)

    @property
    def returned_reason(self) -> str:
        """Why staff sent the delivery back, while the claimer still has to act on it."""
        return self.last_reason if self.status == NeedStatus.CLAIMED else ""


class NeedSearch(SearchColumns, db.Model):
    """The segmented text of one need: title, story, category and kind labels (zh, en), district, street.

    Indexed by the migration: an FTS5 table on SQLite, a tsvector column with a GIN index on
    PostgreSQL (marketplace/search/index.py).
    """

    __tablename__ = "need_search"

    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)


class ClaimStatus(StrEnum):
    """A claim is active until the need closes (completed), or it is released or revoked."""

    ACTIVE = "active"
    COMPLETED = "completed"
    RELEASED = "released"
    REVOKED = "revoked"


CLAIM_STATUS_LABELS = {
    ClaimStatus.ACTIVE: _l("active"),
    ClaimStatus.COMPLETED: _l("completed"),
    ClaimStatus.RELEASED: _l("released"),
    ClaimStatus.REVOKED: _l("reassigned by staff"),
}


class Claim(db.Model):
    """An organisation's promise to fulfil a need by a date."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=ClaimStatus.ACTIVE)  # ClaimStatus
    promised_by: Mapped[date] = mapped_column(sa.Date)
    # A part of its need: how much of the need's quantity it takes (the whole, for a need taken whole).
    quantity: Mapped[int] = mapped_column(default=1, server_default="1")
    # The part's own delivery and confirmation (a need taken whole mirrors them on the need).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirmed_via: Mapped[str | None] = mapped_column(sa.String(12), default=None)  # ConfirmedVia
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")

    need: Mapped[Need] = relationship(back_populates="claims")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        # A need may be held in parts by several organisations, but by each in one part at a time.
        sa.Index(
            "uq_claims_one_active_part_per_org", "need_id", "organisation_id", unique=True,
            sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"),
        ),
        # An organisation's light probes its active parts (lights/rules.py).
        sa.Index("ix_claims_org_light", "organisation_id", "status", "light"),
        enum_check("status", ClaimStatus),
        enum_check("confirmed_via", ConfirmedVia),
        sa.CheckConstraint("quantity >= 1", name="part_quantity_positive"),
    )

    @property
    def is_active(self) -> bool:
        """Whether this claim still holds its need."""
        return self.status == ClaimStatus.ACTIVE

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(CLAIM_STATUS_LABELS[ClaimStatus(self.status)])

    @property
    def part_status(self) -> str:
        """The part's state as the API names it: claimed, delivered, closed or released."""
        if self.status == ClaimStatus.COMPLETED:
            return "closed"
        if self.status != ClaimStatus.ACTIVE:
            return "released"
        return "delivered" if self.delivered_at is not None else "claimed"

    @property
    def part_status_label(self) -> str:
        """The part's state in the reader's language."""
        return str(PART_STATUS_LABELS[self.part_status])


PART_STATUS_LABELS = {"claimed": _l("claimed"), "delivered": _l("delivered, awaiting confirmation"),
                      "closed": _l("confirmed"), "released": _l("released")}


class ClaimReminder(db.Model):
    """The due-soon reminder of one claim and its promised date: the job makes it once (needs/reminders.py)."""

    __tablename__ = "claim_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"))
    promised_by: Mapped[date] = mapped_column(sa.Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    # Two runs at once cannot both remind: the second one's insert fails on this and rolls back.
    __table_args__ = (sa.UniqueConstraint("claim_id", "promised_by"),)


class EvidenceKind(StrEnum):
    """A photo or a receipt proves a delivery; a note only tells."""

    PHOTO = "photo"
    RECEIPT = "receipt"
    NOTE = "note"


PROOF_KINDS = (EvidenceKind.PHOTO, EvidenceKind.RECEIPT)
EVIDENCE_KIND_LABELS = {EvidenceKind.PHOTO: _l("Photo"), EvidenceKind.RECEIPT: _l("Receipt"),
                        EvidenceKind.NOTE: _l("Note")}


class Evidence(db.Model):
    """A photo, receipt or note showing delivery. Files live outside the web root."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"), default=None)
    kind: Mapped[str] = mapped_column(sa.String(10))  # EvidenceKind
    note: Mapped[str] = mapped_column(sa.Text, default="")
    file_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True, default=None)
    content_type: Mapped[str | None] = mapped_column(sa.String(30), default=None)
    size_bytes: Mapped[int | None] = mapped_column(default=None)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    need: Mapped[Need] = relationship(back_populates="evidence")
    claim: Mapped[Claim | None] = relationship()  # whose claim it proves: only that claim's organisation sees it

    __table_args__ = (enum_check("kind", EvidenceKind),)

    @property
    def kind_label(self) -> str:
        """The kind in the reader's language."""
        return str(EVIDENCE_KIND_LABELS[EvidenceKind(self.kind)])
