"""A new claimer sees nothing of an earlier claimer's evidence, notes or returned delivery; staff see it all."""

from __future__ import annotations

from datetime import timedelta

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.clock import today as today_shanghai
from marketplace.extensions import db
from marketplace.needs import transitions
from marketplace.needs.models import Evidence, Need
from tests.conftest import make_need, make_org, make_user, sign_in, tiny_jpeg

A_NOTE = "已送到三楼，老人说门口的台阶坏了"
A_REASON = "照片里看不到电饭煲，请重拍"


def _signed_in(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, user)
    return client


def _a_delivers_with_evidence(need, member) -> tuple[Evidence, Evidence]:  # type: ignore[no-untyped-def]
    photo = transitions.add_evidence(need, actor=member, kind="photo", note="门口照片",
                                     stored=storage.store_photo(tiny_jpeg()))
    note = transitions.add_evidence(need, actor=member, kind="note", note=A_NOTE)
    transitions.deliver(need, actor=member)
    db.session.commit()
    return photo, note


def test_after_staff_reassign_the_new_claimer_sees_nothing_of_the_old_claim(app):
    org_a, org_b = make_org(name="甲慈善会"), make_org(name="乙爱心企业")
    staff = make_user(Role.STAFF, region="440104")
    need = make_need("claimed", staff=staff, org=org_a)
    photo, _note = _a_delivers_with_evidence(need, org_a.members[0])
    transitions.reject(need, actor=staff, reason=A_REASON)
    transitions.reassign(need, actor=staff, organisation=org_b, promised_by=today_shanghai() + timedelta(days=3))
    db.session.commit()

    b = _signed_in(app, org_b.members[0])
    page = b.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/needs/{need.id}/evidence" in page  # B holds the claim now: its claim section is shown
    for trace in (A_NOTE, "门口照片", A_REASON, f"/evidence/{photo.id}"):
        assert trace not in page, trace
    assert b.get(f"/evidence/{photo.id}").status_code == 404
    # Nor does A, whose claim was revoked, keep a window on the household.
    a = _signed_in(app, org_a.members[0])
    assert a.get(f"/evidence/{photo.id}").status_code == 404
    assert A_NOTE not in a.get(f"/needs/{need.id}").get_data(as_text=True)

    # Staff of the region still see every claim's evidence, whose claim it was, and the claims.
    staff_client = _signed_in(app, staff)
    staff_page = staff_client.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert A_NOTE in staff_page and f"/evidence/{photo.id}" in staff_page and "甲慈善会" in staff_page
    assert A_REASON in staff_page  # in the need's history
    assert staff_client.get(f"/evidence/{photo.id}").status_code == 200


def test_after_a_release_the_next_claimer_sees_none_of_the_earlier_notes(app):
    org_a, org_b = make_org(), make_org()
    staff = make_user(Role.STAFF, region="440104")
    need = make_need("claimed", staff=staff, org=org_a)
    photo, _note = _a_delivers_with_evidence(need, org_a.members[0])
    transitions.reject(need, actor=staff, reason=A_REASON)
    transitions.release(need, actor=org_a.members[0], reason="人手不足")
    transitions.claim(need, actor=org_b.members[0], promised_by=today_shanghai() + timedelta(days=3))
    db.session.commit()

    b = _signed_in(app, org_b.members[0])
    page = b.get(f"/needs/{need.id}").get_data(as_text=True)
    for trace in (A_NOTE, A_REASON, f"/evidence/{photo.id}"):
        assert trace not in page, trace
    assert b.get(f"/evidence/{photo.id}").status_code == 404
    # B's own evidence is B's to see.
    own = transitions.add_evidence(need, actor=org_b.members[0], kind="photo", note="乙的照片",
                                   stored=storage.store_photo(tiny_jpeg()))
    db.session.commit()
    page = b.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "乙的照片" in page and f"/evidence/{own.id}" in page and A_NOTE not in page
    assert b.get(f"/evidence/{own.id}").status_code == 200


def test_the_claimer_of_a_closed_need_still_sees_its_own_evidence(app):
    need = make_need("closed")
    member = need.claimed_by.members[0]
    item = need.evidence[0]
    client = _signed_in(app, member)
    assert f"/evidence/{item.id}" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert client.get(f"/evidence/{item.id}").status_code == 200


def test_the_migration_clears_a_reason_an_earlier_claimer_was_given(app):
    import importlib.util

    import sqlalchemy as sa

    from tests.conftest import ROOT

    path = ROOT / "migrations" / "versions" / "c13see01a0b1_who_sees_what.py"
    spec = importlib.util.spec_from_file_location("who_sees", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    staff = make_user(Role.STAFF, region="440104")
    org_a, org_b = make_org(), make_org()
    earlier = make_need("claimed", staff=staff, org=org_a)
    _a_delivers_with_evidence(earlier, org_a.members[0])
    transitions.reject(earlier, actor=staff, reason=A_REASON)
    transitions.reassign(earlier, actor=staff, organisation=org_b, promised_by=today_shanghai() + timedelta(days=3))
    own = make_need("claimed", staff=staff, org=org_a)
    _a_delivers_with_evidence(own, org_a.members[0])
    transitions.reject(own, actor=staff, reason="请补一张收据")
    db.session.commit()
    # The state the old code left behind: the earlier claimer's reason still on the need.
    db.session.execute(sa.update(Need).where(Need.id == earlier.id).values(last_reason=A_REASON))
    db.session.execute(sa.text(migration.CLEAR_EARLIER_CLAIMS_REASONS))
    db.session.commit()
    assert db.session.get(Need, earlier.id).last_reason == ""
    assert db.session.get(Need, own.id).last_reason == "请补一张收据"  # the current claim's own rejection stays
