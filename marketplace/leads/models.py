"""A lead: someone reports a household that may need help; staff triage it into a referral or close it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.regions.models import Region, RegionScoped

LEAD_SOURCE = "lead"  # the intake source (channel) of the referrals made from leads


class LeadStatus(StrEnum):
    """New until staff triage it: into a referral, or closed with a reason."""

    NEW = "new"
    REFERRED = "referred"
    CLOSED = "closed"


LEAD_STATUS_LABELS = {LeadStatus.NEW: _l("waiting for triage"), LeadStatus.REFERRED: _l("made into a referral"),
                      LeadStatus.CLOSED: _l("closed")}


class ReporterKind(StrEnum):
    """Who reported: anyone (no account), an organisation's member, or staff (a social worker)."""

    PUBLIC = "public"
    ORGANISATION = "organisation"
    STAFF = "staff"


REPORTER_KIND_LABELS = {ReporterKind.PUBLIC: _l("a member of the public"),
                        ReporterKind.ORGANISATION: _l("an organisation"), ReporterKind.STAFF: _l("staff")}


class CloseReason(StrEnum):
    """Why a lead ends without a referral."""

    ALREADY_KNOWN = "already_known"
    NOT_IN_NEED = "not_in_need"
    CANNOT_REACH = "cannot_reach"
    OUT_OF_AREA = "out_of_area"
    NOT_GENUINE = "not_genuine"
    OTHER = "other"


CLOSE_REASON_LABELS = {
    CloseReason.ALREADY_KNOWN: _l("the household is already on file"),
    CloseReason.NOT_IN_NEED: _l("visited: no help needed"),
    CloseReason.CANNOT_REACH: _l("could not find or reach the household"),
    CloseReason.OUT_OF_AREA: _l("outside our area"),
    CloseReason.NOT_GENUINE: _l("not a genuine report"),
    CloseReason.OTHER: _l("other"),
}


class Lead(RegionScoped, db.Model):
    """A report of a household. The household's contact and the reporter's are personal data."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    street_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    description: Mapped[str] = mapped_column(sa.Text)
    # Personal data: shown only to staff of the street's region, every view audited.
    household_contact: Mapped[str] = mapped_column(sa.String(300), default="")
    reporter_contact: Mapped[str] = mapped_column(sa.String(200), default="")
    reporter_kind: Mapped[str] = mapped_column(sa.String(12), default=ReporterKind.PUBLIC)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    status: Mapped[str] = mapped_column(sa.String(10), default=LeadStatus.NEW)
    close_reason: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    close_note: Mapped[str] = mapped_column(sa.Text, default="")
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), unique=True, default=None)
    triaged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region] = relationship(foreign_keys=[street_code])
    referral: Mapped[Referral | None] = relationship()

    __table_args__ = (
        sa.Index("ix_leads_queue", "district_code", "status", "created_at"),
        sa.Index("ix_leads_street", "street_code", "status", "created_at"),
        enum_check("status", LeadStatus),
        enum_check("reporter_kind", ReporterKind),
        enum_check("close_reason", CloseReason),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(LEAD_STATUS_LABELS[LeadStatus(self.status)])

    @property
    def reporter_label(self) -> str:
        """Who reported, in the reader's language."""
        return str(REPORTER_KIND_LABELS[ReporterKind(self.reporter_kind)])

    @property
    def close_reason_label(self) -> str:
        """Why it was closed ('' unless closed)."""
        return str(CLOSE_REASON_LABELS[CloseReason(self.close_reason)]) if self.close_reason else ""
