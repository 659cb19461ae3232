"""The dashboard's charts, built from a region's stored figures (marketplace/charts.py draws nothing itself)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace import clock, taxonomy
from marketplace.charts import Chart, Series, day_label, long_day_label
from marketplace.dashboard.compute import WEEKS, week_starts
from marketplace.lights.models import LIGHT_LABELS
from marketplace.regions.models import Region


def trend(data: dict[str, Any]) -> Chart:
    """Needs published and closed per week, each week labelled by its Monday."""
    mondays = week_starts(data.get("computed_at") or clock.now())
    return Chart(
        title=_("Needs published and closed per week, last 12 weeks"),
        labels=[day_label(d) for d in mondays], long_labels=[long_day_label(d) for d in mondays],
        label_axis=_("Week starting"), value_axis=_("Needs"),
        series=[Series(_("published"), list(data.get("opened") or [0] * WEEKS), "opened", kind="line"),
                Series(_("closed"), list(data.get("closed") or [0] * WEEKS), "closed", kind="line")],
    )


def categories(data: dict[str, Any]) -> Chart:
    """All needs per category, the largest first, each category in words."""
    counts = sorted((data.get("by_category") or {}).items(), key=lambda item: (-item[1], item[0]))
    return Chart(
        title=_("Needs per category"), labels=[str(taxonomy.NEED_CATEGORIES.get(c, c)) for c, _n in counts],
        label_axis=_("Category"), value_axis=_("Needs"), horizontal=True,
        series=[Series(_("needs"), [n for _c, n in counts], "count")],
    )


def lights(regions: list[Region], child_data: dict[str, dict[str, Any]]) -> Chart:
    """Open needs of each sub-region by light, stacked: where the overdue ones are."""
    shown = [r for r in regions if r.code in child_data]

    def count(region: Region, light: str) -> int:
        return int(child_data[region.code].get("by_light", {}).get(light, 0))

    return Chart(
        title=_("Open needs by light, per region"), labels=[r.name for r in shown],
        label_axis=_("Region"), value_axis=_("Open needs"), horizontal=True,
        series=[Series(str(LIGHT_LABELS[light]), [count(r, light) for r in shown], light, stack="open")
                for light in ("red", "yellow", "green")],
    )
