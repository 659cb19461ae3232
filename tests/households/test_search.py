"""Staff lists search like the public one; households are found only by exact keys, and every search is audited."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households.models import Household
from tests.conftest import make_need, make_org, make_user, referral_payload

NAME, PHONE, ID_NUMBER = "李桂芳", "13800138000", "440104195200000001"  # referral_payload(1)


def _body(page: str) -> str:
    """The rows of a list page (not the search box, which shows what was typed)."""
    return page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""


def _rows(page: str) -> int:
    return _body(page).count("<tr>")


def _receive(n: int, **need: object) -> None:
    staff = make_user(Role.ADMIN)
    intake.receive("test-source", referral_payload(n, **need), actor=staff)
    db.session.commit()


def test_staff_needs_list_searches_like_the_public_one(as_role):
    make_need("published")  # 一台电饭煲, 北京街道
    need = make_need("draft")
    need.title, need.story = "轮椅一台", "老人行动不便，需要轮椅。"
    db.session.commit()
    staff = as_role(Role.STAFF)
    page = staff.get("/staff/needs/", query_string={"q": "轮椅"}).get_data(as_text=True)
    assert _rows(page) == 1 and "<mark>轮椅</mark>一台" in page
    assert _rows(staff.get("/staff/needs/", query_string={"q": "北京街道"}).get_data(as_text=True)) == 2
    assert _rows(staff.get("/staff/needs/", query_string={"q": "煲", "status": "draft"}).get_data(as_text=True)) == 0
    for junk in ('"', "*", "NEAR(", "%_\\", "'':*"):
        assert staff.get("/staff/needs/", query_string={"q": junk}).status_code == 200
    # Another district's staff find nothing of 越秀区, whatever they type.
    other = as_role(Role.STAFF, region="440106")
    assert _rows(other.get("/staff/needs/", query_string={"q": "轮椅"}).get_data(as_text=True)) == 0


def test_referral_list_searches_title_description_labels_and_place(as_role):
    _receive(1, title="一台电饭煲")
    _receive(2, title="助行器", description="空巢老人行走不便。", category="mobility")
    staff = as_role(Role.STAFF)

    def found(q: str) -> int:
        return _rows(staff.get("/staff/referrals", query_string={"q": q, "status": "all"}).get_data(as_text=True))

    assert found("助行器") == 1 and found("老人") == 2  # the default description says 独居老人
    assert found("出行协助") == 1 and found("Mobility") == 1  # the category's labels, both languages
    assert found("北京街道") == 2 and found("越秀区") == 2
    assert found("GZ-YX-2026-000002") == 1  # the source's id
    assert found("钢琴") == 0 and found('"') == 2  # a lone quote is no search at all


def test_organisation_list_searches_name_services_and_regions(as_role):
    make_org(name="越秀区扶老助残慈善会")
    make_org(name="羊城电器连锁有限公司")
    admin = as_role(Role.ADMIN)

    def found(q: str) -> int:
        page = admin.get("/staff/organisations", query_string={"q": q, "status": "all"}).get_data(as_text=True)
        return _rows(page)

    assert found("扶老") == 1 and found("电器") == 1
    assert found("生活") == 2 and found("Daily living") == 2  # what they help with (make_org: daily_living)
    assert found("越秀区") == 2 and found("慈善") == 2  # the region; the kind's label (charity, 慈善组织)
    assert found("钢琴") == 0
    for junk in ('"', "*", "NEAR(", "%_\\", "'':*", "(("):
        assert admin.get("/staff/organisations", query_string={"q": junk}).status_code == 200


def _searches() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "household.search")
                                   .order_by(AuditEvent.id)))


def test_households_are_found_by_exact_keys_and_every_search_is_audited(as_role):
    _receive(1)
    _receive(2)
    other = db.session.scalars(sa.select(Household).order_by(Household.id)).all()[-1]
    other.head_name, other.phone, other.id_number = "王小明", "020-8333 0001", "44010420100101002X"
    db.session.commit()  # the keyed hashes follow the write itself
    staff = as_role(Role.STAFF)

    def found(q: str) -> list[str]:
        response = staff.post("/staff/households", data={"q": q})
        assert response.status_code == 200
        return re.findall(r"H-440104-\d+", _body(response.get_data(as_text=True)))

    assert len(found(NAME)) == 1 and len(found(" 李 桂芳 ")) == 1  # spaces do not matter
    assert found("王小明") == [other.external_id]
    assert len(found(PHONE)) == 1 and len(found("+86 138-0013-8000")) == 1  # as people write numbers
    assert found("02083330001") == [other.external_id]
    assert len(found(ID_NUMBER)) == 1 and found("44010420100101002x") == [other.external_id]
    assert found(other.external_id) == [other.external_id]  # the source's id
    assert found("李桂") == [] and found("1380013") == [] and found("4401041952") == []  # exact only
    events = _searches()
    assert len(events) == 12
    assert [e.after["looked_up"] for e in events[:3]] == ["name", "name", "name"]
    assert {e.after["looked_up"] for e in events} == {"name", "phone", "id_number"}
    assert all(e.actor_id == staff.user.id for e in events)
    logged = json.dumps([[e.after, e.object_id, e.object_type] for e in events], ensure_ascii=False)
    for value in (NAME, "李", PHONE, "8000", ID_NUMBER, "1234", "王小明", "0001"):
        assert value not in logged
    # The personal data is stored only for reading, never compared: a search sends only digests.
    assert db.session.scalar(sa.select(sa.func.count()).where(Household.phone_hash.is_(None))) == 0
    # Staff of another district find nothing, and are audited all the same.
    outsider = as_role(Role.STAFF, region="440106")
    assert _rows(outsider.post("/staff/households", data={"q": NAME}).get_data(as_text=True)) == 0
    assert len(_searches()) == 13
    # The list without a search writes nothing to the log.
    assert staff.get("/staff/households").status_code == 200 and len(_searches()) == 13
