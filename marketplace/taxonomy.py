"""The shared vocabulary (DESIGN.md §3): codes are stored, labels are translated for display."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

ORGANISATION_KINDS = {
    "charity": _l("Charity"),
    "company": _l("Caring company"),
    "project": _l("Social-work project"),
}

HOUSEHOLD_CATEGORIES = {
    "dibao": _l("Minimum living allowance"),
    "tekun": _l("Destitute support"),
    "dibao_edge": _l("Near-poor"),
    "expenditure": _l("Expenditure poverty"),
    "temporary": _l("Temporary assistance"),
}

HOUSEHOLD_GROUPS = {
    "student_in_hardship": _l("Student in hardship"),
    "unemployed_working_age": _l("Unemployed, working age"),
    "severe_illness_disability": _l("Severe illness or disability"),
    "elderly_special_difficulty": _l("Elderly with special difficulty"),
    "child_in_difficulty": _l("Child in difficulty"),
    "housing_difficulty": _l("Housing difficulty"),
    "homeless_vagrant": _l("Homeless or vagrant"),
}

CARE_CATEGORIES = {
    "visit": _l("Visits"),
    "daily_living": _l("Daily living"),
    "education": _l("Education"),
    "employment": _l("Employment"),
    "medical": _l("Medical"),
    "housing": _l("Housing"),
}

SOCIAL_SERVICES = {
    "cleaning": _l("Cleaning"),
    "meals": _l("Meals"),
    "medical_escort": _l("Medical escort"),
    "mobility": _l("Mobility"),
    "emergency": _l("Emergency help"),
    "childcare": _l("Childcare"),
    "counselling": _l("Counselling"),
    "companionship": _l("Companionship"),
    "rehab_nursing": _l("Rehabilitation and nursing"),
    "home_safety": _l("Home safety"),
    "life_skills": _l("Life skills"),
}

# Traffic lights on needs, households and organisations (docs/lights.md), best first.
LIGHTS = ("green", "yellow", "red")
LIGHT_LABELS = {"green": _l("on time"), "yellow": _l("due soon"), "red": _l("overdue")}

NEED_KINDS = {"wish": _l("Micro-wish"), "service": _l("Service"), "renovation": _l("Renovation")}

# Need and organisation categories: the 6 care categories, then the N social services.
NEED_CATEGORIES = {**CARE_CATEGORIES, **SOCIAL_SERVICES}


def choices(labels: dict) -> list[SelectChoice]:
    """WTForms choices from a code → label mapping."""
    return [SelectChoice(code, label) for code, label in labels.items()]
