"""The audit log is append-only, records sign-ins and permission changes, and admins can filter it."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from marketplace.audit import service as audit
from marketplace.audit.models import AppendOnlyError, AuditEvent
from marketplace.extensions import db
from tests.conftest import PASSWORD, make_user


def test_events_cannot_be_changed_or_deleted(app):
    event = audit.record("test.event", actor_label="system", after={"x": 1})
    db.session.commit()
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "test.event"


def test_sign_in_out_and_failures_are_recorded_with_who_and_ip(client):
    user = make_user(Role.STAFF)
    client.post("/login", data={"email": user.email, "password": "bad-password"})
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/logout")
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.startswith("auth."))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["auth.login_failed", "auth.login", "auth.logout"]
    assert all(e.actor_label == user.email and e.ip == "127.0.0.1" for e in events)


def test_permission_change_is_recorded_before_and_after(as_role):
    admin = as_role(Role.ADMIN)
    user = make_user(Role.STAFF, region="440104")
    data = {"role": "staff", "region_code": "440106", "organisation_id": "", "is_enabled": "y"}
    admin.post(f"/admin/users/{user.id}", data=data)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.access_change"))
    assert event.before["region_code"] == "440104" and event.after["region_code"] == "440106"
    assert event.actor_id == admin.user.id and event.object_id == str(user.id)


def test_admin_filters_the_log(as_role):
    admin = as_role(Role.ADMIN)
    audit.record("organisation.approve", actor_label="someone@example.cn", object_type="organisations", object_id=7)
    audit.record("auth.login", actor_label="other@example.cn")
    db.session.commit()
    page = admin.get("/admin/audit/?action=organisation.").get_data(as_text=True)
    assert "someone@example.cn" in page and "other@example.cn" not in page
    page = admin.get("/admin/audit/?object_type=organisations&object_id=7").get_data(as_text=True)
    assert "批准了组织" in page and "组织 #7" in page and "other@example.cn" not in page
    assert admin.get("/admin/audit/?since=not-a-date&until=2026-13-45&page=-3").status_code == 200
