"""The dashboard's charts carry what a reader needs: weeks by their Monday's date, categories and
regions in words in the reader's language, and the same figures in a table under each chart.

The data attribute is what static/js/charts.js draws (its drawing, 12 px labels included, is checked
in a real browser: tests/browser/test_charts.py); the table is what a reader without JavaScript,
a printer or a screen reader gets.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.clock import SHANGHAI
from marketplace.dashboard.compute import compute_all
from marketplace.dashboard.models import RegionStats
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from marketplace.needs.models import Need
from marketplace.regions.models import Region
from tests import chart_support
from tests.conftest import make_need

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday; its week began on Monday 2 November
MONDAYS = [date(2026, 8, 17) + timedelta(weeks=i) for i in range(12)]  # 17 Aug … 2 Nov


def local(day: date, hour: int = 12) -> datetime:
    """A Guangzhou wall-clock time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def figures(app):  # type: ignore[no-untyped-def]
    """Four needs of 越秀区 published and closed in known weeks, the figures computed at NOW."""
    app.config["CLOCK"] = lambda: NOW
    moves = [  # status, category, published, closed
        ("published", "meals", local(date(2026, 11, 3)), None),  # this week
        ("closed", "meals", local(date(2026, 10, 20)), local(date(2026, 11, 2))),  # closed this week and month
        ("closed", "medical_escort", local(date(2026, 9, 1)), local(date(2026, 10, 28))),  # closed last month
        ("closed", "daily_living", local(date(2026, 6, 1)), local(date(2026, 8, 1))),  # before the 12 weeks
    ]
    for status, category, published, closed in moves:
        need = make_need(status)
        db.session.execute(sa.update(Need).where(Need.id == need.id).values(
            category=category, published_at=published, closed_at=closed))
    db.session.commit()
    recompute(NOW)
    compute_all(NOW)
    db.session.commit()
    yield
    app.config.pop("CLOCK", None)


def _page(as_role, lang: str = "zh_Hans") -> str:  # type: ignore[no-untyped-def]
    """The district dashboard of 越秀区 as its staff see it, in `lang`."""
    staff = as_role(Role.STAFF, region="440104")
    staff.get(f"/lang/{lang}")
    return staff.get("/staff/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize("lang, published, closed, axis", [
    ("zh_Hans", "已发布", "已办结", "周起始日"), ("en", "published", "closed", "Week starting")])
def test_trend_labels_each_week_by_its_monday(as_role, figures, lang, published, closed, axis):
    """Twelve weeks, each named by its Monday ("11-02"), never "-11 … 本周"; the counts in their weeks."""
    page = _page(as_role, lang)
    trend = chart_support.chart(page, "trend")
    assert trend["labels"] == [f"{d:%m-%d}" for d in MONDAYS] and trend["labels"][-1] == "11-02"
    assert trend["long_labels"] == [d.isoformat() for d in MONDAYS]
    assert trend["label_axis"] == axis
    values = chart_support.series(trend)
    assert values[published] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]  # 1 Sep, 20 Oct, 3 Nov
    assert values[closed] == [0] * 10 + [1, 1]  # 28 Oct, 2 Nov; 1 Aug is before the twelve weeks
    assert "本周" not in page and "weeks before this one" not in page
    rows = chart_support.table(page, "trend")  # the same figures, readable without JavaScript
    assert rows[0] == [axis, published, closed]
    assert rows[1:] == [[d.isoformat(), str(o), str(c)] for d, o, c in zip(MONDAYS, values[published],
                                                                            values[closed], strict=True)]


@pytest.mark.parametrize("lang, words", [
    ("zh_Hans", ["助餐", "生活", "就医陪诊"]), ("en", ["Meals", "Daily living", "Medical escort"])])
def test_categories_are_words_largest_first(as_role, figures, lang, words):
    """Each category in the reader's words (never its code), the largest first, horizontal bars."""
    page = _page(as_role, lang)
    categories = chart_support.chart(page, "categories")
    assert categories["labels"] == words and categories["horizontal"]
    assert [s["values"] for s in categories["series"]] == [[2, 1, 1]]
    assert "daily_living" not in page and "medical_escort" not in page
    assert [row[:2] for row in chart_support.table(page, "categories")[1:]] == [[words[0], "2"], [words[1], "1"],
                                                                                 [words[2], "1"]]


def test_streets_lights_chart_matches_the_table(as_role, figures):
    """The district's streets, stacked by light in words, beside the table of the same counts."""
    page = _page(as_role)
    lights = chart_support.chart(page, "lights")
    assert lights["labels"] == ["北京街道"]
    assert {s["name"]: s["values"] for s in lights["series"]} == {"逾期": [0], "临期": [0], "正常": [1]}
    assert [s["colour"] for s in lights["series"]] == ["red", "yellow", "green"]  # the badges' colours
    shown = chart_support.read(page).tables["subregion-table"]
    assert shown[1][:4] == ["北京街道", "0", "0", "1"]


def test_chart_data_is_an_escaped_attribute_not_a_script(as_role, figures):
    """A region name with quotes and markup arrives intact inside the attribute and never as markup;
    the page loads only same-origin script files (the CSP allows nothing else)."""
    street = db.session.get(Region, "440104003")
    street.name = "北京'街道\"<b>"
    db.session.commit()
    try:
        page = _page(as_role)
    finally:  # the regions are loaded once per session, not emptied between tests
        street.name = "北京街道"
        db.session.commit()
    assert chart_support.chart(page, "lights")["labels"] == ["北京'街道\"<b>"]
    assert "<b>" not in page
    scripts = chart_support.read(page).scripts
    assert [s["src"] for s in scripts] == ["/static/vendor/echarts/echarts.min.js", "/static/js/charts.js"]
    assert all(s.get("src") for s in scripts)  # no inline script


def test_a_region_without_figures_says_so(as_role):
    """Before the first recompute there is nothing to draw: a sentence, not an empty chart."""
    page = _page(as_role)
    assert "data-chart" not in page and "近 12 周没有发布或办结的需求。" in page


def test_figures_export_names_weeks_by_their_monday(as_role, figures):
    """The export says which week each count belongs to, as the chart does."""
    staff = as_role(Role.STAFF, region="440104")
    text = staff.get("/staff/dashboard/export.csv").get_data(as_text=True).lstrip("\ufeff")
    values = dict(csv.reader(io.StringIO(text)))
    assert values["2026-11-02 起一周：发布 / 办结"] == "1 / 1"
    assert values["2026-08-31 起一周：发布 / 办结"] == "1 / 0"
    assert not any(key.startswith("第 ") for key in values)


def test_closed_per_month_counts_guangzhou_months(app):
    """Needs closed in this and last calendar month in Guangzhou time, whatever the UTC date."""
    now = datetime(2026, 8, 31, 23, 30, tzinfo=SHANGHAI)
    closures = [datetime(2026, 8, 31, 23, 0, tzinfo=SHANGHAI),  # this month
                datetime(2026, 7, 31, 17, 0, tzinfo=SHANGHAI),  # last month
                datetime(2026, 7, 1, 0, 10, tzinfo=SHANGHAI),  # last month, its first minutes
                datetime(2026, 6, 30, 23, 59, tzinfo=SHANGHAI)]  # the month before: not counted
    for closed in closures:
        need = make_need("closed")
        db.session.execute(sa.update(Need).where(Need.id == need.id).values(
            published_at=closed - timedelta(days=3), closed_at=closed))
    # 1 August 01:00 in Guangzhou is still 31 July in UTC: it belongs to August.
    need = make_need("closed")
    db.session.execute(sa.update(Need).where(Need.id == need.id).values(
        published_at=datetime(2026, 7, 20, tzinfo=SHANGHAI), closed_at=datetime(2026, 8, 1, 1, 0, tzinfo=SHANGHAI)))
    db.session.commit()
    compute_all(now)
    data = db.session.get(RegionStats, "all").data
    assert data["closed_by_month"] == {"2026-08": 2, "2026-07": 2}
    assert db.session.get(RegionStats, "440104").data["closed_by_month"] == {"2026-08": 2, "2026-07": 2}
