"""The pages of the loop: what each person sees, what they may do, and clear errors for bad input."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.households.models import Referral
from marketplace.needs.models import Evidence, Need
from tests.conftest import make_need, make_org, referral_payload, sign_in, tiny_jpeg

PERSONAL = ["李桂芳", "13800138000", "越秀区北京路88号", "440104195201011234"]


def _no_personal_data(page: str) -> None:
    for value in PERSONAL:
        assert value not in page


def test_public_and_org_pages_never_show_personal_data(app, client):
    need = make_need("claimed")
    member = need.claimed_by.members[0]
    pages = [client.get("/needs").get_data(as_text=True), client.get(f"/needs/{need.id}").get_data(as_text=True)]
    org_client = app.test_client()
    sign_in(org_client, member)
    for url in ("/needs", f"/needs/{need.id}", "/org/claims", "/org/"):
        pages.append(org_client.get(url).get_data(as_text=True))
    assert "L阿姨" in pages[1]  # the pseudonymous story is there
    for page in pages:
        _no_personal_data(page)


def test_browse_filters_search_and_keyset_pages(client, app):
    for i in range(25):
        make_need("published", title=f"书包{i}")
    urgent = make_need("published")
    urgent.is_urgent, urgent.title = True, "轮椅一台"
    urgent.category = "mobility"
    db.session.commit()
    first = client.get("/needs").get_data(as_text=True)
    assert first.index("轮椅一台") < first.index("一台电饭煲")  # urgent first
    assert first.count('class="need-card') == 20 and "after=" in first
    cursor = first.split("after=")[1].split("&")[0].split('"')[0]
    second = client.get(f"/needs?after={cursor}").get_data(as_text=True)
    assert second.count('class="need-card') == 6
    assert "轮椅" in client.get("/needs?q=轮椅").get_data(as_text=True)
    assert client.get("/needs?q=轮椅&category=daily_living").get_data(as_text=True).count('class="need-card') == 0
    assert client.get("/needs?category=mobility").get_data(as_text=True).count('class="need-card') == 1
    assert client.get("/needs?max=100").get_data(as_text=True).count('class="need-card') == 0
    for junk in ("?after=%%%", "?after=eyJ4Ijox", "?min=abc&max=-5&sort=zzz", "?q=" + "%" * 300, "?district=';--"):
        assert client.get("/needs" + junk).status_code == 200


def test_draft_and_cancelled_needs_are_not_public(client):
    draft = make_need("draft")
    assert client.get(f"/needs/{draft.id}").status_code == 404
    assert client.get("/needs/999999").status_code == 404


def test_claim_page_flow_and_date_errors(app, as_role):
    need = make_need("published")
    member = as_role(Role.ORG_MEMBER)
    response = member.post(f"/needs/{need.id}/claim", data={"promised_by": "not-a-date"}, follow_redirects=True)
    assert "flash-error" in response.get_data(as_text=True)
    late = (need.fulfil_by + timedelta(days=1)).isoformat()
    assert "flash-error" in member.post(f"/needs/{need.id}/claim", data={"promised_by": late},
                                        follow_redirects=True).get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "published"
    ok = (today_shanghai() + timedelta(days=2)).isoformat()
    response = member.post(f"/needs/{need.id}/claim", data={"promised_by": ok}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "flash-success" in page and 'enctype="multipart/form-data"' in page  # evidence form now shown
    assert need.title in member.get("/org/claims").get_data(as_text=True)


def _upload(client, need_id, data, name="photo.jpg", kind="photo"):
    return client.post(f"/needs/{need_id}/evidence", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"GIF89a" + b"\x00" * 100, "a.gif"), (b"not an image at all", "a.jpg"), (b"", "a.jpg"),
     (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png"), (b"%PDF-1.4", "a.pdf")],
)
def test_bad_uploads_are_refused_and_write_nothing(app, data, name):
    need = make_need("claimed")
    client = app.test_client()
    sign_in(client, need.claimed_by.members[0])
    response = _upload(client, need.id, data, name)
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Evidence).where(Evidence.need_id == need.id)) == 0


def test_photo_is_stored_without_exif_and_served_only_to_the_allowed(app, as_role):
    need = make_need("claimed")
    client = app.test_client()
    sign_in(client, need.claimed_by.members[0])
    assert "flash-success" in _upload(client, need.id, tiny_jpeg(exif=True)).get_data(as_text=True)
    item = db.session.scalar(db.select(Evidence).where(Evidence.need_id == need.id))
    served = client.get(f"/evidence/{item.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.data)).getexif()) == {}
    assert as_role(Role.STAFF, region="440104").get(f"/evidence/{item.id}").status_code == 200
    assert as_role(Role.STAFF, region="440106").get(f"/evidence/{item.id}").status_code == 404
    assert as_role(Role.ORG_MEMBER).get(f"/evidence/{item.id}").status_code == 404
    assert app.test_client().get(f"/evidence/{item.id}").status_code == 302  # sign in first


def test_staff_confirm_through_the_page_closes(as_role):
    need = make_need("delivered")
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert "/confirm" in page and "/reject" in page
    staff.post(f"/staff/needs/{need.id}/confirm", data={"rating": "9"})
    db.session.refresh(need)
    assert need.status == "delivered"  # a rating outside the choices changes nothing
    staff.post(f"/staff/needs/{need.id}/confirm", data={"rating": "5", "feedback": "老人很满意"})
    db.session.refresh(need)
    assert need.status == "closed" and need.feedback == "老人很满意"
    history = staff.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    for words in ("发布了需求", "认领了需求", "标记需求已送达", "确认了送达"):  # the history in words (tests/audit)
        assert words in history


def test_recipient_confirms_with_printed_code(client, as_role):
    need = make_need("delivered")
    staff = as_role(Role.STAFF, region="440104")
    slip = staff.post(f"/staff/needs/{need.id}/code").get_data(as_text=True)
    code = slip.split('class="code">')[1].split("<")[0].strip()
    bad = client.post("/confirm", data={"code": "XXXXX-XXXXX", "rating": "5"})
    assert bad.status_code == 200 and 'id="code-error"' in bad.get_data(as_text=True)
    good = client.post("/confirm", data={"code": code, "rating": "4", "feedback": "收到了，谢谢"})
    assert good.status_code == 200 and 'id="code-error"' not in good.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "closed" and need.confirmed_via == "recipient"


def test_staff_enter_triage_and_publish_through_pages(as_role):
    staff = as_role(Role.STAFF, region="440104")
    form = {"category": "tekun", "group": "homeless_vagrant", "street_code": "440104003", "members": "1",
            "head_name": "张三", "phone": "13900001111", "need_kind": "wish", "need_category": "daily_living",
            "title": "冬季棉被", "description": "无固定住所，需要棉被。", "quantity": "2", "value_yuan": "300",
            "needed_by": (today_shanghai() + timedelta(days=20)).isoformat()}
    response = staff.post("/staff/referrals/new", data=form)
    assert response.status_code == 302
    referral = db.session.scalar(db.select(Referral))
    assert referral.estimated_value_fen == 30000 and referral.household.street_code == "440104003"
    triage = {"kind": "wish", "category": "daily_living", "title": "冬季棉被", "quantity": "2", "value_yuan": "300",
              "claim_deadline": today_shanghai().isoformat(),
              "fulfil_by": (today_shanghai() + timedelta(days=10)).isoformat(), "publish_now": "y"}
    leaky = staff.post(f"/staff/referrals/{referral.id}/triage", data={**triage, "story": "张三先生需要两床棉被过冬。"})
    assert leaky.status_code == 400 and 'id="story-error"' in leaky.get_data(as_text=True)
    too_big = staff.post(f"/staff/referrals/{referral.id}/triage",
                         data={**triage, "value_yuan": "2000.01", "story": "Z先生，无固定住所，需要棉被过冬。"})
    assert too_big.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Need)) == 0
    story = "Z先生，无固定住所，需要棉被过冬。"
    ok = staff.post(f"/staff/referrals/{referral.id}/triage", data={**triage, "story": story})
    assert ok.status_code == 302
    need = db.session.scalar(db.select(Need))
    assert need.status == "published" and need.value_fen == 30000


def test_referral_form_errors_stay_beside_fields(as_role):
    staff = as_role(Role.STAFF, region="440104")
    page = staff.post("/staff/referrals/new", data={"street_code": "440106001", "members": "99", "value_yuan": "abc",
                                                    "needed_by": "2020-01-01"}).get_data(as_text=True)
    for field in ("head_name", "members", "value_yuan", "title", "street_code"):
        assert f'id="{field}-error"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Referral)) == 0


def test_personal_data_only_for_region_staff_and_every_view_audited(as_role):
    need = make_need("published", household={"id_number": PERSONAL[3]})
    household_id = need.household_id
    staff = as_role(Role.STAFF, region="440104")
    page = staff.get(f"/staff/households/{household_id}").get_data(as_text=True)
    _no_personal_data(page)
    shown = staff.post(f"/staff/households/{household_id}").get_data(as_text=True)
    assert all(value in shown for value in PERSONAL)
    views = db.select(db.func.count()).where(AuditEvent.action == "household.view_personal")
    assert db.session.scalar(views) == 1
    other = as_role(Role.STAFF, region="440106")
    assert other.get(f"/staff/households/{household_id}").status_code == 403
    assert other.post(f"/staff/households/{household_id}").status_code == 403
    assert other.get(f"/staff/needs/{need.id}").status_code == 403
    assert db.session.scalar(views) == 1


def test_decline_needs_reason_and_is_final(as_role):
    from marketplace.households import intake

    referral = intake.receive("test-source", referral_payload()).referral
    db.session.commit()
    staff = as_role(Role.STAFF, region="440104")
    assert staff.post(f"/staff/referrals/{referral.id}/decline", data={"reason": ""}).status_code == 400
    staff.post(f"/staff/referrals/{referral.id}/decline", data={"reason": "已由其他渠道解决"})
    db.session.refresh(referral)
    assert referral.status == "declined" and referral.decline_reason == "已由其他渠道解决"


def test_admin_changes_wish_cap_in_yuan(as_role):
    from marketplace.settings import service as settings

    admin = as_role(Role.ADMIN)
    data = {key: str(d.default // 100 if d.unit == "fen" else d.default) for key, d in settings.DEFINITIONS.items()}
    data["wish_cap_fen"] = "1500"
    assert admin.post("/admin/settings/", data=data).status_code == 302
    assert settings.get("wish_cap_fen") == 150000
    bad = admin.post("/admin/settings/", data={**data, "wish_cap_fen": "-1"})
    assert bad.status_code == 200 and 'id="wish_cap_fen-error"' in bad.get_data(as_text=True)
    assert settings.get("wish_cap_fen") == 150000


def test_work_queue_counts_what_waits(as_role):
    make_need("delivered")
    make_need("draft")
    org = make_org(status="pending")
    assert org.status == "pending"
    page = as_role(Role.STAFF, region="440104").get("/staff/").get_data(as_text=True)
    assert "<strong>1</strong>" in page


def test_the_slip_carries_a_qr_to_confirm_a_print_button_and_the_caseworkers_contact(client, as_role, app, monkeypatch):
    from marketplace import qr

    monkeypatch.setitem(app.config, "OFFICE_PHONE", "020-8300 0000")  # no nearer office is known
    need = make_need("delivered")
    staff = as_role(Role.STAFF, region="440104")
    staff.user.display_name = "陈社工"
    db.session.commit()
    slip = staff.post(f"/staff/needs/{need.id}/code").get_data(as_text=True)
    code = slip.split('class="code">')[1].split("<")[0].strip()
    with app.test_request_context():
        drawn = qr.svg(f"http://localhost/confirm?code={code}", "")
    assert drawn.split("</title>")[-1] in slip  # the very QR code of the confirm page with this code
    assert "data-print" in slip and "陈社工" in slip and "020-8300 0000" in slip
    scanned = client.get(f"/confirm?code={code}")
    assert f'value="{code}"' in scanned.get_data(as_text=True)  # filled in
    assert scanned.headers["Referrer-Policy"] == "no-referrer" and "no-store" in scanned.headers["Cache-Control"]
