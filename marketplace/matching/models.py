"""Routed offers (定向派单) and the needs an organisation said are not for it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation


class NeedDismissal(db.Model):
    """"Not for us" (不适合我们): the need leaves this organisation's recommendations for good."""

    __tablename__ = "need_dismissals"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class OfferStatus(StrEnum):
    """HL7 FHIR Task statuses, the subset a routed offer goes through."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OFFER_STATUS_LABELS = {
    OfferStatus.REQUESTED: _l("waiting for an answer"),
    OfferStatus.ACCEPTED: _l("accepted"),
    OfferStatus.REJECTED: _l("declined"),
    OfferStatus.CANCELLED: _l("cancelled by staff"),
    OfferStatus.EXPIRED: _l("expired unanswered"),
}


class DeclineReason(StrEnum):
    """Why an organisation declines an offer (the contract's codes)."""

    NO_CAPACITY = "no_capacity"
    OUTSIDE_SERVICES = "outside_services"
    OUTSIDE_AREA = "outside_area"
    CANNOT_CONTACT = "cannot_contact"
    OTHER = "other"


DECLINE_REASON_LABELS = {
    DeclineReason.NO_CAPACITY: _l("We have no capacity now"),
    DeclineReason.OUTSIDE_SERVICES: _l("Outside our services"),
    DeclineReason.OUTSIDE_AREA: _l("Outside our area"),
    DeclineReason.CANNOT_CONTACT: _l("We cannot contact the household"),
    DeclineReason.OTHER: _l("Other (please say why)"),
}


class Offer(db.Model):
    """Staff route a published need to one organisation, which answers by the deadline."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=OfferStatus.REQUESTED)  # OfferStatus
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.String(20), default=None)  # DeclineReason
    reason_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    # The "offer expiring" notice went out (the job sends it once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    need: Mapped[Need] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        # At most one offer waits for an answer per need: two staff routing at once cannot both win.
        sa.Index("uq_offers_one_requested_per_need", "need_id", unique=True,
                 sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'")),
        sa.Index("ix_offers_organisation", "organisation_id", "status", "created_at"),
        sa.Index("ix_offers_due", "status", "due_at"),
        enum_check("status", OfferStatus),
        enum_check("reason", DeclineReason),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(OFFER_STATUS_LABELS[OfferStatus(self.status)])

    @property
    def reason_label(self) -> str:
        """The decline reason in the reader's language (and the text given with "other")."""
        if not self.reason:
            return ""
        label = str(DECLINE_REASON_LABELS[DeclineReason(self.reason)])
        return f"{label}: {self.reason_text}" if self.reason_text else label

    @property
    def is_open(self) -> bool:
        """Whether the offer still waits for the organisation's answer."""
        return self.status == OfferStatus.REQUESTED


# The recommendations' candidates (matching/recommend.py): the longest-waiting open needs of each
# (place, category, urgency), read in index order. Declared here, on the needs table, so
# the needs package does not learn about matching.
sa.Index("ix_needs_match_street", Need.status, Need.street_code, Need.category, Need.is_urgent,
         Need.published_at, Need.id)
sa.Index("ix_needs_match_district", Need.status, Need.district_code, Need.category, Need.is_urgent,
         Need.published_at, Need.id)
