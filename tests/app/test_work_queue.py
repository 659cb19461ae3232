"""The staff home lists the work itself, oldest first, with links: not just five counts."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.lights.recompute import recompute
from marketplace.needs.models import Need
from tests.conftest import make_need


def _section(html: str, key: str) -> str:
    start = html.index(f'id="{key}"')
    return html[start:html.index("</section>", start)]


def test_each_kind_of_work_is_listed_oldest_first_with_its_page(as_role):
    older, newer = make_need("draft"), make_need("draft")
    db.session.get(Need, older.id).created_at -= timedelta(days=3)
    delivered = make_need("delivered")
    db.session.commit()
    html = as_role(Role.STAFF, region="440104").get("/staff/").get_data(as_text=True)
    drafts = _section(html, "drafts")
    assert drafts.index(f"/staff/needs/{older.id}") < drafts.index(f"/staff/needs/{newer.id}")  # oldest first
    assert "3天" in drafts  # how long it has waited, in words
    assert f"/staff/needs/{delivered.id}" in _section(html, "deliveries")
    assert 'href="#referrals"' not in html  # nothing to triage: the count links to the list, no section


def test_red_lights_and_referrals_wait_in_the_queue_of_their_region_only(as_role):
    need = make_need("published")
    recompute(need.published_at + timedelta(days=8))
    db.session.commit()
    here = as_role(Role.STAFF, region="440104").get("/staff/").get_data(as_text=True)
    assert f"/staff/needs/{need.id}" in _section(here, "red")
    elsewhere = as_role(Role.STAFF, region="440106").get("/staff/").get_data(as_text=True)
    assert f"/staff/needs/{need.id}" not in elsewhere and 'id="red"' not in elsewhere


def test_a_long_queue_shows_a_few_and_links_to_all(as_role):
    for _ in range(7):
        make_need("draft")
    html = as_role(Role.STAFF, region="440104").get("/staff/").get_data(as_text=True)
    drafts = _section(html, "drafts")
    assert drafts.count("<li>") == 5 and "/staff/needs/?status=draft" in drafts and ">7<" in drafts
