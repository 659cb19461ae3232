"""Reading and changing settings. Every feature asks here instead of hard-coding a number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import taxonomy
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.settings.models import Setting


@dataclass(frozen=True)
class Definition:
    """A setting: its default, its bounds and how an admin sees it."""

    default: int
    minimum: int
    maximum: int
    label: Any
    unit: str = "fen"


DEFINITIONS: dict[str, Definition] = {
    "wish_cap_fen": Definition(200_000, 100, 10_000_000, _l("Largest value of a micro-wish")),
    "renovation_cap_fen": Definition(8_000_000, 100_000, 100_000_000, _l("Standard renovation cap per household")),
    "renovation_window_years": Definition(
        5, 1, 20, _l("Years of a household's renovation plans counted against the standard"), "years"),
    "claim_days": Definition(14, 1, 365, _l("Days a published need stays open for a claim"), "days"),
    # Lights (DESIGN.md §6)
    "light_wish_yellow_days": Definition(3, 1, 180, _l("Unclaimed wish turns yellow after"), "days"),
    "light_wish_red_days": Definition(7, 1, 180, _l("Unclaimed wish turns red after"), "days"),
    "light_claim_yellow_days": Definition(2, 0, 30, _l("Claim turns yellow this many days before its promised date"),
                                          "days"),
    "light_delivered_yellow_days": Definition(3, 1, 60, _l("Unconfirmed delivery turns yellow after"), "days"),
    "light_delivered_red_days": Definition(5, 1, 90, _l("Unconfirmed delivery turns red after"), "days"),
    "light_household_stale_days": Definition(60, 7, 365, _l("Household turns red when a need waits without help for"),
                                             "days"),
    "light_renovation_yellow_days": Definition(7, 1, 60, _l("Renovation turns yellow this many days before a deadline"),
                                               "days"),
    # Transfers to departments and community leads (docs/casework.md)
    "transfer_due_days": Definition(10, 1, 90, _l("Days a department has to answer a transfer"), "days"),
    "light_transfer_yellow_days": Definition(2, 0, 30, _l("Transfer turns yellow this many days before its answer "
                                                          "is due"), "days"),
    "light_lead_yellow_days": Definition(1, 0, 30, _l("Untriaged lead turns yellow after"), "days"),
    "light_lead_red_days": Definition(3, 1, 60, _l("Untriaged lead turns red after"), "days"),
    # Routed offers (docs/matching.md)
    "offer_days": Definition(2, 1, 30, _l("Days an organisation has to answer a routed offer"), "days"),
    "offer_yellow_hours": Definition(24, 1, 720, _l("Unanswered offer turns yellow after"), "hours"),
    "offer_red_hours": Definition(40, 1, 720, _l("Unanswered offer turns red after"), "hours"),
    "offer_reminder_hours": Definition(8, 1, 240, _l("Remind the organisation this long before an offer expires"),
                                       "hours"),
    "offer_pass_on": Definition(0, 0, 1, _l("An expired offer goes on to the next suggested organisation "
                                            "(1 = yes, 0 = back to the pool)"), "switch"),
    "light_household_unhelped_days": Definition(90, 7, 730, _l("Household turns red when nobody has helped it for"),
                                                "days"),
    # Visits and follow-ups (docs/visits.md): a household is visited every N days of its category
    # or its group, whichever is more often; 0 asks for no regular visit.
    **{f"visit_days_{code}": Definition(days, 0, 366, _l("Visit households of “%(what)s” every (0: no regular visit)",
                                                           what=taxonomy.HOUSEHOLD_CATEGORIES[code]), "days")
       for code, days in (("tekun", 30), ("dibao", 90), ("dibao_edge", 90), ("expenditure", 90), ("temporary", 0))},
    **{f"visit_days_{code}": Definition(days, 0, 366, _l("Visit households of “%(what)s” every (0: no regular visit)",
                                                           what=taxonomy.HOUSEHOLD_GROUPS[code]), "days")
       for code, days in (("severe_illness_disability", 30), ("elderly_special_difficulty", 30),
                          ("child_in_difficulty", 30), ("homeless_vagrant", 30), ("student_in_hardship", 0),
                          ("unemployed_working_age", 0), ("housing_difficulty", 0))},
    "visit_due_soon_days": Definition(7, 0, 60, _l("A visit shows as due this many days before its date"), "days"),
    "visit_grace_days": Definition(14, 1, 180, _l("An overdue visit turns the household red after a grace of"),
                                   "days"),
    "followup_days": Definition(14, 1, 180, _l("A follow-up falls due this many days after a need closes"), "days"),
    # Meals (DESIGN.md §5)
    "meals_free_meals": Definition(3, 0, 100, _l("Free meals per phone number before an eligibility code is needed"),
                                   "meals"),
    "meals_code_days": Definition(90, 1, 366, _l("Days an eligibility code stays valid"), "days"),
}


class SettingError(DomainError):
    """A setting value was refused."""


def get(key: str) -> int:
    """The current value of a setting."""
    row = db.session.get(Setting, key)
    return DEFINITIONS[key].default if row is None else row.value


def get_many(keys: list[str]) -> dict[str, int]:
    """The current values of several settings, read in one query (a light or visit rule reads a
    dozen at once, on every move of a need)."""
    rows = dict(db.session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
    return {key: rows.get(key, DEFINITIONS[key].default) for key in keys}


def set_value(key: str, value: int, *, actor: Any) -> None:
    """Change a setting within its bounds, with an audit record."""
    definition = DEFINITIONS[key]
    if not definition.minimum <= value <= definition.maximum:
        raise SettingError(_l("value out of range"))
    before = get(key)
    if before == value:
        return
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_by_id=actor.id))
    else:
        row.value = value
        row.updated_by_id = actor.id
    audit.record("setting.change", actor=actor, object_type="settings", object_id=key,
                 before={"value": before}, after={"value": value})
