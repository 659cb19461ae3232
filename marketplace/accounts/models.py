"""User accounts and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import clock
from marketplace.db import UTCDateTime
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.meals.models import Outlet
    from marketplace.organisations.models import Organisation
    from marketplace.regions.models import Region


class Role(StrEnum):
    """What an account may do; see DESIGN.md §2."""

    ADMIN = "admin"
    STAFF = "staff"
    ORG_MEMBER = "org_member"
    OUTLET_STAFF = "outlet_staff"


def password_hash_method() -> str:
    """The hash method (and cost) of new passwords."""
    # Tests may pick a cheaper method; production keeps Werkzeug's default (scrypt).
    return (current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None) or "scrypt"


class User(UserMixin, db.Model):
    """A person who signs in: civil-affairs staff or admin, organisation member, outlet staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(20))
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), default=None)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True, default=None
    )
    # Outlet staff redeem meal vouchers at this one outlet of their company.
    outlet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outlets.id"), index=True, default=None)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped at sign-out and when disabled: every session cookie carrying the old value dies.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    region: Mapped[Region | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship(
        back_populates="members", foreign_keys=[organisation_id]
    )
    outlet: Mapped[Outlet | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'staff', 'org_member', 'outlet_staff')", name="role"
        ),
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login identity: the id plus the session version (an "alternative token")."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_enabled

    def has_role(self, *roles: Role) -> bool:
        """Whether this account has one of the roles."""
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
