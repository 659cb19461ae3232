"""The dashboard's figures and overdue list as CSV or XLSX files."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace import taxonomy
from marketplace.lights.models import LIGHT_LABELS
from marketplace.needs.models import Need

WHAT = ("figures", "overdue")  # what the dashboard exports; anything else is not a page


def figure_rows(name: str, data: dict[str, Any]) -> list[list[Any]]:
    """The figures as (label, value) rows."""
    rows: list[list[Any]] = [[_("Region"), name], [_("Closure rate (%)"), data.get("closure_rate")],
                             [_("Median days to claim"), data.get("median_days_to_claim")],
                             [_("Median days to close"), data.get("median_days_to_close")]]
    for light in ("red", "yellow", "green"):
        rows.append([_("Open needs: %(light)s", light=LIGHT_LABELS[light]), data.get("by_light", {}).get(light, 0)])
    for code, count in sorted(data.get("by_category", {}).items()):
        rows.append([_("Needs: %(category)s", category=taxonomy.NEED_CATEGORIES.get(code, code)), count])
    for i, (opened, closed) in enumerate(zip(data.get("opened", []), data.get("closed", []), strict=False)):
        rows.append([_("Week %(n)s: published / closed", n=i + 1), f"{opened} / {closed}"])
    return rows


def overdue_rows(needs: list[Need]) -> list[list[Any]]:
    """The overdue list with a header row; no personal data, only the public title and place."""
    header = [_("Need"), _("Title"), _("Where"), _("Status"), _("Published"), _("Claimed by"), _("Promised by")]
    return [header] + [
        [n.id, n.title, n.place, n.status_label, n.published_at.date().isoformat() if n.published_at else "",
         n.claimed_by.name if n.claimed_by else "", n.promised_by.isoformat() if n.promised_by else ""]
        for n in needs
    ]
