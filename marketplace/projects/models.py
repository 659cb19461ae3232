"""A renovation project for one household, its plan lines, milestones, pledges and visits."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.db import UTCDateTime, enum_check
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.models import Need
from marketplace.organisations.models import Organisation
from marketplace.regions.models import Region, RegionScoped


class Milestone(StrEnum):
    """The milestones of a project, in order."""

    SURVEYED = "surveyed"
    PLAN_APPROVED = "plan_approved"
    COVERED = "covered"
    WORKS_STARTED = "works_started"
    INSPECTED = "inspected"
    ACCEPTED = "accepted"


MILESTONES = list(Milestone)
MILESTONE_LABELS = {
    Milestone.SURVEYED: _l("surveyed"),
    Milestone.PLAN_APPROVED: _l("plan approved"),
    Milestone.COVERED: _l("fully covered"),
    Milestone.WORKS_STARTED: _l("works started"),
    Milestone.INSPECTED: _l("inspected"),
    Milestone.ACCEPTED: _l("accepted"),
}


class LineKind(StrEnum):
    """What a plan line pays for."""

    MATERIALS = "materials"
    LABOUR = "labour"
    OTHER = "other"


class PledgeKind(StrEnum):
    """What an organisation gives against a line: money fits any line, materials and labour their own."""

    MONEY = "money"
    MATERIALS = "materials"
    LABOUR = "labour"


class PledgeStatus(StrEnum):
    """A pledge is made, delivered by the organisation, then confirmed by staff (or withdrawn before)."""

    PLEDGED = "pledged"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


class PhotoPurpose(StrEnum):
    """When a project photo was taken."""

    SURVEY = "survey"
    INSPECTION = "inspection"
    MAINTENANCE = "maintenance"


class PhotoVisibility(StrEnum):
    """A photo of the house is private (the region's staff and pledging organisations) until staff show it."""

    PRIVATE = "private"
    PUBLIC = "public"  # on the project's public page, with its caption


class InspectionKind(StrEnum):
    """A sampled spot check during the works, or the final inspection after them."""

    SPOT_CHECK = "spot_check"
    FINAL = "final"


class InspectionResult(StrEnum):
    """A visit is pending until staff record what it found."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class MaintenanceStatus(StrEnum):
    """A maintenance request is open until staff record what was done."""

    OPEN = "open"
    DONE = "done"


LINE_KINDS = {LineKind.MATERIALS: _l("Materials"), LineKind.LABOUR: _l("Labour"), LineKind.OTHER: _l("Other")}
PLEDGE_KINDS = {PledgeKind.MONEY: _l("Money"), PledgeKind.MATERIALS: _l("Materials"),
                PledgeKind.LABOUR: _l("Labour")}
PLEDGE_STATUS_LABELS = {PledgeStatus.PLEDGED: _l("pledged"), PledgeStatus.DELIVERED: _l("delivered, awaiting staff"),
                        PledgeStatus.CONFIRMED: _l("confirmed"), PledgeStatus.WITHDRAWN: _l("withdrawn")}
PHOTO_PURPOSE_LABELS = {PhotoPurpose.SURVEY: _l("Survey"), PhotoPurpose.INSPECTION: _l("Inspection"),
                        PhotoPurpose.MAINTENANCE: _l("Maintenance")}
INSPECTION_KIND_LABELS = {InspectionKind.SPOT_CHECK: _l("Spot check"), InspectionKind.FINAL: _l("Final inspection")}


class Project(RegionScoped, db.Model):
    """One household's renovation (一户一策), started from a renovation need."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), unique=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), default=None)
    title: Mapped[str] = mapped_column(sa.String(100))
    story: Mapped[str] = mapped_column(sa.Text, default="")
    survey_notes: Mapped[str] = mapped_column(sa.Text, default="")
    surveyed_on: Mapped[date] = mapped_column(sa.Date)
    milestone: Mapped[str] = mapped_column(sa.String(14), default=Milestone.SURVEYED)  # Milestone
    # 一事一议: an admin's approval of a plan above the cap, up to this total, with the reason.
    over_cap_approved_fen: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    over_cap_reason: Mapped[str] = mapped_column(sa.Text, default="")
    over_cap_approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    light: Mapped[str | None] = mapped_column(sa.String(6), default=None)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    need: Mapped[Need] = relationship()
    household: Mapped[Household] = relationship()
    district: Mapped[Region] = relationship(foreign_keys=[district_code])
    street: Mapped[Region | None] = relationship(foreign_keys=[street_code])
    lines: Mapped[list[PlanLine]] = relationship(back_populates="project", order_by="PlanLine.id")
    milestones: Mapped[list[ProjectMilestone]] = relationship(order_by="ProjectMilestone.position")
    pledges: Mapped[list[Pledge]] = relationship(back_populates="project", order_by="Pledge.id")
    photos: Mapped[list[ProjectPhoto]] = relationship(back_populates="project", order_by="ProjectPhoto.id")
    inspections: Mapped[list[Inspection]] = relationship(order_by="Inspection.id")
    maintenance: Mapped[list[MaintenanceRequest]] = relationship(order_by="MaintenanceRequest.id")

    __table_args__ = (enum_check("milestone", Milestone),)

    @property
    def total_fen(self) -> int:
        """The plan's total."""
        return sum(line.amount_fen for line in self.lines)

    @property
    def reserved_fen(self) -> int:
        """Promised so far (open pledges and donations): the plan cannot take more than its total."""
        return sum(line.reserved_fen for line in self.lines)

    @property
    def confirmed_fen(self) -> int:
        """What really counts: pledges delivered and confirmed, and donations that succeeded."""
        return sum(line.confirmed_fen for line in self.lines)

    @property
    def still_needed_fen(self) -> int:
        """Room left on the plan for new pledges and donations."""
        return max(0, self.total_fen - self.reserved_fen)

    @property
    def giving_room_fen(self) -> int:
        """What gifts may still cover: only an approved plan that is not yet covered takes them."""
        return self.still_needed_fen if self.milestone == Milestone.PLAN_APPROVED else 0

    @property
    def percent(self) -> int:
        """Confirmed share of the plan, 0–100."""
        total = self.total_fen
        return int(self.confirmed_fen * 100 // total) if total else 0

    @property
    def milestone_label(self) -> str:
        """The milestone in the reader's language."""
        return str(MILESTONE_LABELS[Milestone(self.milestone)])

    def milestone_row(self, name: str) -> ProjectMilestone | None:
        """The due date and reached time of one milestone."""
        return next((m for m in self.milestones if m.milestone == name), None)


class ProjectMilestone(db.Model):
    """When a milestone is due and when it was reached."""

    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    milestone: Mapped[str] = mapped_column(sa.String(14))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    due_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        sa.UniqueConstraint("project_id", "milestone", name="uq_project_milestones_project"),
        enum_check("milestone", Milestone),
    )

    @property
    def label(self) -> str:
        """The milestone in the reader's language."""
        return str(MILESTONE_LABELS[Milestone(self.milestone)])


class PlanLine(db.Model):
    """One line of the itemised plan. `reserved_fen` never exceeds `amount_fen` (a database check)."""

    __tablename__ = "plan_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # LineKind
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[str] = mapped_column(sa.String(40), default="")
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reserved_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    confirmed_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    project: Mapped[Project] = relationship(back_populates="lines")

    __table_args__ = (
        enum_check("kind", LineKind),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("reserved_fen >= 0 AND reserved_fen <= amount_fen", name="reserved_within_amount"),
        sa.CheckConstraint("confirmed_fen >= 0 AND confirmed_fen <= reserved_fen", name="confirmed_within_reserved"),
    )

    @property
    def room_fen(self) -> int:
        """What this line can still take."""
        return self.amount_fen - self.reserved_fen

    @property
    def percent(self) -> int:
        """Confirmed share of the line, 0–100."""
        return int(self.confirmed_fen * 100 // self.amount_fen) if self.amount_fen else 0


class Pledge(db.Model):
    """An organisation's money, materials or labour against one plan line."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_lines.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # PledgeKind
    value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    items: Mapped[str] = mapped_column(sa.String(200), default="")
    quantity: Mapped[str] = mapped_column(sa.String(40), default="")
    labour_days: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(sa.String(10), default=PledgeStatus.PLEDGED)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)

    project: Mapped[Project] = relationship(back_populates="pledges")
    line: Mapped[PlanLine] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        enum_check("kind", PledgeKind),
        enum_check("status", PledgeStatus),
        sa.CheckConstraint("value_fen > 0", name="value_positive"),
    )

    @property
    def status_label(self) -> str:
        """The state in the reader's language."""
        return str(PLEDGE_STATUS_LABELS[PledgeStatus(self.status)])

    @property
    def is_withdrawn(self) -> bool:
        """A withdrawn pledge no longer helps (the project's public page leaves it out)."""
        return self.status == PledgeStatus.WITHDRAWN


class ProjectPhoto(db.Model):
    """A photo of the survey, an inspection or a maintenance visit (stored like evidence).

    Private by default: who may open it is `projects/visibility.py`'s to say.
    """

    __tablename__ = "project_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspections.id"), default=None)
    purpose: Mapped[str] = mapped_column(sa.String(12))  # PhotoPurpose
    file_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(30))
    size_bytes: Mapped[int] = mapped_column()
    visibility: Mapped[str] = mapped_column(sa.String(8), default=PhotoVisibility.PRIVATE,
                                            server_default=PhotoVisibility.PRIVATE.value)  # PhotoVisibility
    caption: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    project: Mapped[Project] = relationship(back_populates="photos")

    __table_args__ = (enum_check("purpose", PhotoPurpose), enum_check("visibility", PhotoVisibility))

    @property
    def is_public(self) -> bool:
        """Whether staff show this photo on the project's public page."""
        return self.visibility == PhotoVisibility.PUBLIC

    @property
    def purpose_label(self) -> str:
        """When the photo was taken, in the reader's language."""
        return str(PHOTO_PURPOSE_LABELS[PhotoPurpose(self.purpose)])


class SampleRun(db.Model):
    """One cycle of inspection sampling: the seed and the population, so the choice can be re-derived."""

    __tablename__ = "inspection_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    population: Mapped[list] = mapped_column(sa.JSON)
    chosen: Mapped[list] = mapped_column(sa.JSON)


class Inspection(db.Model):
    """A visit: a sampled spot check during works, or the final inspection."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_samples.id"), default=None)
    kind: Mapped[str] = mapped_column(sa.String(10))  # InspectionKind
    result: Mapped[str] = mapped_column(sa.String(8), default=InspectionResult.PENDING)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    inspected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (
        enum_check("kind", InspectionKind),
        enum_check("result", InspectionResult),
    )

    @property
    def kind_label(self) -> str:
        """The kind of visit in the reader's language."""
        return str(INSPECTION_KIND_LABELS[InspectionKind(self.kind)])


class MaintenanceRequest(db.Model):
    """A small follow-up repair (小规模维护) after acceptance."""

    __tablename__ = "maintenance_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(8), default=MaintenanceStatus.OPEN)
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (enum_check("status", MaintenanceStatus),)
