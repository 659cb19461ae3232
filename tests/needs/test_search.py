"""Chinese full-text search on /needs: what people type finds what the cards show, best match first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households import service as households
from marketplace.households.models import Household
from marketplace.needs import transitions
from marketplace.needs.browse import BrowseFilter, browse
from marketplace.needs.models import Need, NeedSearch, NeedStatus
from marketplace.regions.models import Region
from marketplace.search import index
from tests.conftest import load_demo, make_user, referral_payload

STREETS = {"北京街道": "440104003", "东山街道": "440104011"}


def _publish(title: str, story: str = "小朋友需要一个新书包上学。", *, category: str = "education",
             urgent: bool = False, street: str = "北京街道", status: str = "published",
             group: str = "student_in_hardship") -> Need:
    """A need written through triage and published, as staff would (one unit of work)."""
    staff = make_user(Role.ADMIN)
    payload = referral_payload(household={"street": street, "group": group})
    received = intake.receive("test-source", payload, actor=staff)
    today = today_shanghai()
    draft = households.NeedDraft(
        kind="wish", category=category, title=title, story=story, quantity=1, value_fen=9900, is_urgent=urgent,
        claim_deadline=today + timedelta(days=10), fulfil_by=today + timedelta(days=30),
    )
    need = households.triage(received.referral, draft, actor=staff)
    if status == "published":
        transitions.publish(need, actor=staff)
    db.session.commit()
    return need


def _cards(page: str) -> list[str]:
    """The titles of the cards on a page, in order (marks removed)."""
    titles = re.findall(r'<article class="need-card[^"]*">\s*<h3><a href="[^"]*">(.*?)</a></h3>', page, re.S)
    return [re.sub(r"</?mark>", "", t) for t in titles]


def _found(client, q: str, **args: str) -> list[str]:
    response = client.get("/needs", query_string={"q": q, **args})
    assert response.status_code == 200
    return _cards(response.get_data(as_text=True))


def _all_ids(q: str) -> set[int]:
    return {n.id for n in browse(BrowseFilter(q=q), limit=10_000).needs}


# --- the demo: what its cards show -----------------------------------------------------------

@pytest.fixture
def demo(app):
    load_demo(app)
    return app


def _published(**where: str) -> set[int]:
    query = sa.select(Need.id).where(Need.status == NeedStatus.PUBLISHED).filter_by(**where)
    return set(db.session.scalars(query))


def test_the_demo_is_found_by_its_district_street_category_and_elder_words(demo, client):
    yuexiu = _published(district_code="440104")
    assert yuexiu and yuexiu <= _all_ids("越秀区")  # every need of the district, whatever its story says
    for street, code in STREETS.items():
        in_street = _published(street_code=code)
        assert in_street, street
        assert in_street <= _all_ids(street), street
        assert _found(client, street)  # and the page shows them
    education = _published(category="education")
    assert education and education <= _all_ids("教育") and education <= _all_ids("Education")
    # 老人: the needs of elderly households (their group, 特殊困难老人), and stories that say it.
    elders = _all_ids("老人")
    elderly_households = set(db.session.scalars(
        sa.select(Need.id).join(Need.household).where(Need.status == NeedStatus.PUBLISHED,
                                                      Household.group == "elderly_special_difficulty")))
    assert elderly_households and elderly_households <= elders
    for need in db.session.scalars(sa.select(Need).where(Need.id.in_(elders))):
        assert need.household.group == "elderly_special_difficulty" or "老人" in need.title + need.story
    # Every result of a street search is in that street or says the street's name.
    for need in db.session.scalars(sa.select(Need).where(Need.id.in_(_all_ids("东山街道")))):
        assert need.street_code == STREETS["东山街道"] or "东山街道" in need.title + need.story


# --- words, characters, Latin and digits ------------------------------------------------------

def test_two_character_words_single_characters_and_mixed_latin_digits(app, client):
    _publish("一台iPad给孙子上网课", "简伯伯，80岁，孙子读初二，老人手机用不了，需要平板电脑上网课。")
    _publish("一台电饭煲", "L阿姨独居，原来的电饭煲坏了，需要一台3升的。", category="daily_living")
    _publish("助行器", "空巢老人家中行走不便，需要一个助行器。", category="mobility")
    assert _found(client, "网课") == ["一台iPad给孙子上网课"]  # a two-character word
    assert _found(client, "孙") == ["一台iPad给孙子上网课"]  # a single character
    assert _found(client, "煲") == ["一台电饭煲"]
    for typed in ("ipad", "iPad", "IPAD", "ｉＰａｄ"):  # any case, full-width too
        assert _found(client, typed) == ["一台iPad给孙子上网课"], typed
    assert _found(client, "80岁") == ["一台iPad给孙子上网课"]  # digits and Han in one term
    assert _found(client, "3升") == ["一台电饭煲"]
    assert _found(client, "80") == ["一台iPad给孙子上网课"]
    assert _found(client, "8") == []  # a digit run is one token: 8 is not 80
    assert sorted(_found(client, "老人")) == ["一台iPad给孙子上网课", "助行器"]  # inside 空巢老人家 too
    assert _found(client, "老人 助行器") == ["助行器"]  # every term must match
    assert _found(client, "Mobility") == ["助行器"]  # the category's English label
    assert _found(client, "出行协助") == ["助行器"]  # and its Chinese one


def test_title_matches_rank_above_story_matches_and_urgency_breaks_ties(app, client):
    story_only = _publish("助行器", "家里有轮椅但坏了，先要一个助行器。", urgent=True, category="mobility")
    title = _publish("轮椅一台", "老人行动不便。", category="mobility")
    assert story_only.published_at <= title.published_at
    assert _found(client, "轮椅") == ["轮椅一台", "助行器"]  # the title match first, although not urgent
    calm = _publish("书包", "小朋友需要一个新书包上学。")
    pressing = _publish("书包", "小朋友需要一个新书包上学。", urgent=True)
    results = browse(BrowseFilter(q="书包")).needs
    assert [n.id for n in results] == [pressing.id, calm.id]  # equal text: urgent first, then oldest
    # A chosen order still applies to a search.
    assert [n.id for n in browse(BrowseFilter(q="书包", sort="newest")).needs] == [pressing.id, calm.id]
    assert [n.id for n in browse(BrowseFilter(q="书包", sort="waiting")).needs] == [calm.id, pressing.id]


def test_ranked_pages_follow_on_without_repeats(app, client):
    made = {_publish(f"书包{i}", "小朋友需要一个新书包上学。" + "书包" * (i % 4), urgent=i % 3 == 0).id
            for i in range(25)}
    _publish("电饭煲", "与此无关。", category="daily_living")
    opening = browse(BrowseFilter(q="书包"))
    first, cursor = opening.needs, opening.next_cursor
    assert len(first) == 20 and cursor and not opening.too_common
    following = browse(BrowseFilter(q="书包"), after=cursor)
    second = following.needs
    assert len(second) == 5 and following.next_cursor is None
    assert {n.id for n in first} | {n.id for n in second} == made
    assert not {n.id for n in first} & {n.id for n in second}
    page = client.get("/needs", query_string={"q": "书包"}).get_data(as_text=True)
    token = re.search(r"after=([\w-]+)", page).group(1)
    assert len(_cards(client.get("/needs", query_string={"q": "书包", "after": token}).get_data(as_text=True))) == 5


def test_matches_are_marked_and_everything_else_is_escaped(app, client):
    _publish("轮椅<script>alert(1)</script>", "需要轮椅，<b>急</b>&amp;<img src=x onerror=alert(2)>",
             category="mobility")
    page = client.get("/needs", query_string={"q": "轮椅"}).get_data(as_text=True)
    assert "<mark>轮椅</mark>&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img" not in page and "<b>急" not in page
    assert "需要<mark>轮椅</mark>，&lt;b&gt;急&lt;/b&gt;&amp;amp;" in page
    assert "<mark>北京街道</mark>" in client.get("/needs", query_string={"q": "北京街道"}).get_data(as_text=True)
    # Searching for the markup itself marks only text, never makes a tag.
    page = client.get("/needs", query_string={"q": "script"}).get_data(as_text=True)
    assert "&lt;<mark>script</mark>&gt;" in page and "<script>" not in page.split("<main")[-1]


def test_a_word_in_too_many_needs_comes_in_the_usual_order_and_the_page_says_why(app, client, monkeypatch):
    """Past index.rank_limit() matches a search is not ranked (that would score every match): its
    matches come urgent first, then the longest waiting, all of them across pages."""
    made = [_publish(f"轮椅{i}", "老人行动不便。" + "轮椅" * (i % 3), urgent=i % 3 == 0, category="mobility")
            for i in range(7)]
    _publish("电饭煲", "与此无关。", category="daily_living")
    usual = [n.id for n in sorted(made, key=lambda n: (not n.is_urgent, n.published_at, n.id))]
    if db.engine.dialect.name == "postgresql":  # it estimates from statistics, which autovacuum keeps
        db.session.execute(sa.text("ANALYZE need_search"))
    monkeypatch.setitem(index.RANK_LIMIT, db.engine.dialect.name, 5)
    first = browse(BrowseFilter(q="轮椅"), limit=4)
    assert first.too_common and [n.id for n in first.needs] == usual[:4]
    rest = browse(BrowseFilter(q="轮椅"), after=first.next_cursor, limit=4)
    assert [n.id for n in rest.needs] == usual[4:] and rest.next_cursor is None
    newest = browse(BrowseFilter(q="轮椅", sort="newest"))
    assert [n.id for n in newest.needs] == [n.id for n in sorted(made, key=lambda n: (n.published_at, n.id))][::-1]
    page = client.get("/needs", query_string={"q": "轮椅"}).get_data(as_text=True)
    assert "含有“轮椅”的需求太多" in page
    assert _cards(page) == [db.session.get(Need, i).title for i in usual]
    assert "电饭煲" not in _cards(page)
    # Under the limit the same search is ranked again.
    monkeypatch.setitem(index.RANK_LIMIT, db.engine.dialect.name, 50)
    page = client.get("/needs", query_string={"q": "轮椅"}).get_data(as_text=True)
    assert "需求太多" not in page and not browse(BrowseFilter(q="轮椅")).too_common
    assert len(_cards(page)) == 7


def test_no_match_says_so(app, client):
    _publish("轮椅一台", "老人行动不便。", category="mobility")
    response = client.get("/needs", query_string={"q": "钢琴"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _cards(page) == [] and "没有符合条件的需求" in page


JUNK = ["%", "_", "\\", "%%", "a%b", "100%", "_x_", "\\%", '"', '""', "'", "''", "*", "轮椅*", ":", "title:轮椅",
        "{title_words}:轮椅", "(", ")", "(轮椅", "轮椅)", "NEAR", "NEAR(轮椅 老人)", "AND", "OR", "NOT", "轮椅 OR",
        "OR 轮椅", "-", "-轮椅", "轮椅 -老人", "^轮椅", "&", "|", "!", "<->", "轮椅 & 老人", "轮椅:*", "'轮椅':A",
        "😀", "轮" * 200, " ".join(["轮椅"] * 50), "؟", "\u200b轮椅"]


def test_like_and_query_syntax_characters_never_fail(app, client):
    _publish("轮椅一台", "老人行动不便，100%需要。", category="mobility")
    _publish("书包", "a_b_c 小朋友需要一个新书包。")
    for typed in JUNK:
        response = client.get("/needs", query_string={"q": typed})
        assert response.status_code == 200, typed
    assert client.get("/needs", query_string={"q": "轮椅\x00"}).status_code == 400  # refused before any search
    assert client.get("/needs?q=%ED%A0%80%FF").status_code == 200  # not UTF-8 at all
    assert _found(client, "轮椅*") == ["轮椅一台"]
    assert _found(client, '"轮椅"') == ["轮椅一台"]
    assert _found(client, "NEAR(轮椅 老人)") == []  # "near" is a word here, and no need has it
    assert _found(client, "100%") == ["轮椅一台"]
    # A LIKE wildcard matches nothing by itself: no term means no search, so every need is listed.
    assert len(_found(client, "%")) == 2 and len(_found(client, "_")) == 2


def test_the_index_is_written_in_the_same_unit_as_the_need(app, client):
    need = _publish("轮椅一台", "老人行动不便。", category="mobility")
    need.title = "助行器一个"
    db.session.commit()
    assert _found(client, "助行器") == ["助行器一个"] and _found(client, "轮椅") == []
    need.title = "钢琴"
    db.session.flush()
    db.session.rollback()  # the write is undone, and its tokens with it
    assert _found(client, "钢琴") == [] and _found(client, "助行器") == ["助行器一个"]
    entry = db.session.get(NeedSearch, need.id)
    assert "助行器" in entry.title_words.split() and "助" in entry.title_chars.split()


def test_a_street_renamed_is_found_by_its_new_name_after_a_reindex(app, client):
    need = _publish("书包", "小朋友需要一个新书包上学。")
    region = db.session.get(Region, STREETS["北京街道"])
    old = region.name
    try:
        region.name = "新北京街道"
        db.session.flush()
        from marketplace.search import index

        index.reindex(db.session, need)
        db.session.commit()
        assert _found(client, "新北京") == ["书包"]
    finally:
        region.name = old
        db.session.commit()


def test_drafts_are_never_found(app, client):
    _publish("轮椅一台", "老人行动不便。", category="mobility", status="draft")
    assert _found(client, "轮椅") == []


def test_a_place_name_finds_the_needs_of_that_place_in_the_usual_order(app, client):
    there = _publish("书包", "小朋友需要一个新书包上学。", street="东山街道")
    urgent_there = _publish("台灯", "晚上写作业需要台灯。", street="东山街道", urgent=True)
    _publish("电饭煲", "以前住在东山街道，现在搬到北京街道了。", category="daily_living")
    assert [n.id for n in browse(BrowseFilter(q="东山街道")).needs] == [urgent_there.id, there.id]
    assert [n.id for n in browse(BrowseFilter(q="东山街道 台灯")).needs] == [urgent_there.id]
    assert len(browse(BrowseFilter(q="越秀区")).needs) == 3
    assert browse(BrowseFilter(q="天河区")).needs == []
    assert len(browse(BrowseFilter(q="东山")).needs) == 3  # not a place's whole name: searched as text


def test_an_overlong_story_is_indexed_by_its_start_and_never_fails_the_write(app, client):
    _publish("轮椅一台", "老人行动不便。" + "很长的故事" * 8000 + "结尾词", category="mobility")
    assert _found(client, "轮椅") == ["轮椅一台"] and _found(client, "故事") == ["轮椅一台"]
    assert _found(client, "结尾词") == []  # past what is indexed
