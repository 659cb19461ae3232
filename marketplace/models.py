"""Imports every model module so SQLAlchemy's metadata (and Alembic) sees all tables."""

# Search registrations: from here on every flush that writes one of these keeps its search row in step.
import marketplace.households.search  # noqa: E402, F401
import marketplace.needs.search  # noqa: E402, F401
import marketplace.organisations.search  # noqa: E402, F401
from marketplace.accounts.models import User  # noqa: F401
from marketplace.accounts.password_models import PasswordReset  # noqa: F401
from marketplace.accounts.second_factor_models import RecoveryCode, SecondFactor  # noqa: F401
from marketplace.api.models import ApiKey, ApiSource  # noqa: F401
from marketplace.audit.models import AuditEvent  # noqa: F401
from marketplace.changes.models import ChangeCounter  # noqa: F401
from marketplace.dashboard.models import RegionStats  # noqa: F401
from marketplace.donations.models import Donation, DonationAllocation, StripeEvent  # noqa: F401
from marketplace.households.models import Household, Referral, ReferralSearch  # noqa: F401
from marketplace.leaderboards.models import LeaderboardEntry, LeaderboardSnapshot  # noqa: F401
from marketplace.leads.models import Lead  # noqa: F401
from marketplace.lights.models import LightChange  # noqa: F401
from marketplace.matching.models import NeedDismissal, Offer  # noqa: F401
from marketplace.meals.models import EligibilityCode, MealDay, MealPledge, Outlet, Voucher  # noqa: F401
from marketplace.needs.models import Claim, Evidence, Need, NeedSearch  # noqa: F401
from marketplace.notifications.models import Notification  # noqa: F401
from marketplace.organisations.models import Organisation, OrganisationCategory, OrganisationSearch  # noqa: F401
from marketplace.projects.models import (  # noqa: F401
    Inspection,
    MaintenanceRequest,
    PlanLine,
    Pledge,
    Project,
    ProjectMilestone,
    ProjectPhoto,
    SampleRun,
)
from marketplace.regions.models import Region  # noqa: F401
from marketplace.scheduler.models import JobRun, SchedulerLease  # noqa: F401
from marketplace.settings.models import Setting  # noqa: F401
from marketplace.transfers.models import Department, Transfer  # noqa: F401
from marketplace.visits.models import FollowUp, Visit, VisitPlan  # noqa: F401
