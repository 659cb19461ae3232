"""The authorization matrix: every route, every role. An unclassified route fails here."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from marketplace.api import keys as api_keys
from tests.conftest import make_need, make_org, make_user, sign_in

ANON = "anonymous"
ROLES = [ANON, Role.ADMIN, Role.STAFF, Role.ORG_MEMBER, Role.OUTLET_STAFF]
EVERYONE = set(ROLES)
SIGNED_IN = {Role.ADMIN, Role.STAFF, Role.ORG_MEMBER, Role.OUTLET_STAFF}
STAFF = {Role.ADMIN, Role.STAFF}
ADMIN = {Role.ADMIN}
MEMBERS = {Role.ORG_MEMBER, Role.OUTLET_STAFF}

# endpoint -> (method, who may use it). Written by hand, independently of the decorators.
EXPECTED: dict[str, tuple[str, set]] = {
    "main.index": ("GET", EVERYONE),
    "main.privacy": ("GET", EVERYONE),
    "main.set_language": ("GET", EVERYONE),
    "main.health": ("GET", EVERYONE),
    "auth.login": ("GET", EVERYONE),
    "auth.logout": ("POST", SIGNED_IN),
    "organisations.register": ("GET", EVERYONE),
    "organisations.mine": ("GET", MEMBERS),
    "organisations.capability": ("GET", {Role.ORG_MEMBER}),
    "matching.dismiss": ("POST", {Role.ORG_MEMBER}),
    "matching.offer_detail": ("GET", {Role.ORG_MEMBER}),
    "matching.accept": ("POST", {Role.ORG_MEMBER}),
    "matching.decline": ("POST", {Role.ORG_MEMBER}),
    "matching.route": ("POST", STAFF),
    "matching.cancel": ("POST", STAFF),
    "matching.to_route": ("GET", STAFF),
    "matching.unanswered": ("GET", STAFF),
    "organisations.review_list": ("GET", STAFF),
    "organisations.review_export": ("GET", STAFF),
    "organisations.review": ("GET", STAFF),
    "organisations.recommend": ("POST", STAFF),
    "staff.index": ("GET", STAFF),
    "admin.index": ("GET", ADMIN),
    "admin.users": ("GET", ADMIN),
    "admin.users_export": ("GET", ADMIN),
    "region_admin.region_list": ("GET", ADMIN),
    "region_admin.region_edit": ("GET", ADMIN),
    "admin.user_new": ("GET", ADMIN),
    "admin.user_edit": ("GET", ADMIN),
    "audit.browse": ("GET", ADMIN),
    "audit.export": ("GET", ADMIN),
    "settings.edit": ("GET", ADMIN),
    "referrals.referral_list": ("GET", STAFF),
    "referrals.referral_export": ("GET", STAFF),
    "referrals.referral_new": ("GET", STAFF),
    "referrals.referral_detail": ("GET", STAFF),
    "referrals.referral_triage": ("POST", STAFF),
    "referrals.referral_decline": ("POST", STAFF),
    "referrals.household_list": ("GET", STAFF),
    "referrals.household_export": ("GET", STAFF),
    "referrals.household_detail": ("GET", STAFF),
    "households.duplicates": ("GET", STAFF),
    "households.merge_pair": ("POST", STAFF),
    "referral_import.upload": ("GET", STAFF),
    "referral_import.template_csv": ("GET", STAFF),
    "referral_import.template_xlsx": ("GET", STAFF),
    "staff_needs.need_list": ("GET", STAFF),
    "staff_needs.need_export": ("GET", STAFF),
    "staff_needs.need_detail": ("GET", STAFF),
    "staff_needs.publish": ("POST", STAFF),
    "staff_needs.cancel": ("POST", STAFF),
    "staff_needs.replan": ("POST", STAFF),
    "staff_needs.release": ("POST", STAFF),
    "staff_needs.reassign": ("POST", STAFF),
    "staff_needs.confirm": ("POST", STAFF),
    "staff_needs.reject": ("POST", STAFF),
    "staff_needs.rewrite": ("POST", STAFF),
    "staff_needs.recipient_code": ("POST", STAFF),
    "needs.browse": ("GET", EVERYONE),
    "needs.detail": ("GET", EVERYONE),
    "needs.claim": ("POST", {Role.ORG_MEMBER}),
    "needs.add_evidence": ("POST", {Role.ORG_MEMBER}),
    "needs.deliver": ("POST", {Role.ORG_MEMBER}),
    "needs.release": ("POST", {Role.ORG_MEMBER}),
    "needs.my_claims": ("GET", {Role.ORG_MEMBER}),
    "needs.evidence_file": ("GET", SIGNED_IN),
    "needs.recipient_confirm": ("GET", EVERYONE),
    "api.openapi_document": ("GET", EVERYONE),
    "api.docs": ("GET", EVERYONE),
    "api_admin.sources": ("GET", ADMIN),
    "api_admin.set_rate_limit": ("POST", ADMIN),
    "api_admin.key_new": ("GET", ADMIN),
    "api_admin.revoke": ("GET", ADMIN),  # the confirmation; its POST revokes
    "notifications.inbox": ("GET", SIGNED_IN),
    "notifications.mark_read": ("POST", SIGNED_IN),
    "notifications.settings": ("GET", SIGNED_IN),
    "passwords.change": ("GET", SIGNED_IN),
    "passwords.forgot": ("GET", EVERYONE),
    "passwords.reset": ("GET", EVERYONE),
    "passwords.admin_send": ("POST", ADMIN),
    "leaderboards.board": ("GET", EVERYONE),
    "leaderboards.provisional": ("GET", STAFF),
    "leaderboards.profile": ("GET", EVERYONE),
    "dashboard.show": ("GET", STAFF),
    "dashboard.export": ("GET", STAFF),
    "projects.project_list": ("GET", EVERYONE),
    "projects.project_detail": ("GET", EVERYONE),
    "projects.pledge": ("POST", {Role.ORG_MEMBER}),
    "projects.pledge_deliver": ("POST", {Role.ORG_MEMBER}),
    "projects.pledge_withdraw": ("POST", {Role.ORG_MEMBER, Role.STAFF, Role.ADMIN}),
    "projects.photo": ("GET", EVERYONE),  # public photos for anyone; private ones answer 404 (visibility.py)
    "staff_projects.project_list": ("GET", STAFF),
    "staff_projects.project_export": ("GET", STAFF),
    "staff_projects.new": ("GET", STAFF),
    "staff_projects.detail": ("GET", STAFF),
    "staff_projects.act": ("POST", STAFF),
    "staff_projects.rewrite": ("POST", STAFF),
    "staff_projects.remove_line": ("POST", STAFF),
    "staff_projects.confirm_pledge": ("POST", STAFF),
    "staff_projects.spot_check": ("POST", STAFF),
    "staff_projects.photo_publish": ("POST", STAFF),
    "staff_projects.photo_unpublish": ("POST", STAFF),
    "staff_projects.maintenance_done": ("POST", STAFF),
    "donations.give_project": ("GET", EVERYONE),
    "donations.give_district": ("GET", EVERYONE),
    "donations.pay_page": ("GET", EVERYONE),
    "donations.pay": ("POST", EVERYONE),
    "donations.thanks": ("GET", EVERYONE),
    "donations.webhook": ("POST", EVERYONE),
    "donations.admin_list": ("GET", ADMIN),
    "donations.admin_export": ("GET", ADMIN),
    "donations.refund": ("POST", ADMIN),
    "meals.outlet_list": ("GET", EVERYONE),
    "meals.book": ("GET", EVERYONE),
    "meals.voucher": ("GET", EVERYONE),
    "meals.cancel": ("GET", EVERYONE),
    "meals.find": ("GET", EVERYONE),
    "meals.outlet_photo": ("GET", EVERYONE),
    "outlet.scan": ("GET", {Role.OUTLET_STAFF}),
    "outlet.redeem": ("POST", {Role.OUTLET_STAFF}),
    "outlet.scan_code": ("GET", EVERYONE),
    "company_meals.overview": ("GET", {Role.ORG_MEMBER}),
    "company_meals.export": ("GET", {Role.ORG_MEMBER}),
    "company_meals.outlet_new": ("GET", {Role.ORG_MEMBER}),
    "company_meals.outlet_edit": ("GET", {Role.ORG_MEMBER}),
    "company_meals.outlet_staff_add": ("POST", {Role.ORG_MEMBER}),
    "company_meals.pledge_new": ("GET", {Role.ORG_MEMBER}),
    "company_meals.pledge_withdraw": ("POST", {Role.ORG_MEMBER}),
    "staff_meals.pledge_list": ("GET", STAFF),
    "staff_meals.pledge_export": ("GET", STAFF),
    "staff_meals.pledge_review": ("GET", STAFF),
    "meal_codes.code_list": ("GET", STAFF | {Role.ORG_MEMBER}),
    "meal_codes.code_export": ("GET", STAFF | {Role.ORG_MEMBER}),
    "meal_codes.code_revoke": ("POST", STAFF | {Role.ORG_MEMBER}),
    # The second factor. Its pages are `public` for a sign-in held half-way (tests/accounts/
    # test_second_factor.py); without one, the code step sends anonymous visitors to /login and
    # signed-in ones home, and enrolment is for signed-in staff and admins.
    "second_factor.code": ("GET", SIGNED_IN),
    "second_factor.setup": ("GET", STAFF),
    "second_factor.manage": ("GET", STAFF),
    "second_factor.disable": ("POST", STAFF),
    "second_factor.reset": ("POST", ADMIN),
    # Transfers to departments (转办转介) and community leads (主动发现).
    "transfers.transfer_list": ("GET", STAFF),
    "transfers.transfer_export": ("GET", STAFF),
    "transfers.transfer_detail": ("GET", STAFF),
    "transfers.transfer_answer": ("POST", STAFF),
    "transfers.transfer_need": ("GET", STAFF),
    "transfers.transfer_referral": ("GET", STAFF),
    "transfers.department_list": ("GET", ADMIN),
    "transfers.department_new": ("GET", ADMIN),
    "transfers.department_edit": ("GET", ADMIN),
    "leads.report": ("GET", EVERYONE),
    "leads.thanks": ("GET", EVERYONE),
    "leads.lead_list": ("GET", STAFF),
    "leads.lead_export": ("GET", STAFF),
    "leads.lead_detail": ("GET", STAFF),
    "leads.lead_refer": ("GET", STAFF),
    "leads.lead_close": ("POST", STAFF),
    # Visits and follow-ups (staff of the household's region: tests/visits/).
    "visits.due_list": ("GET", STAFF),
    "visits.due_export": ("GET", STAFF),
    "visits.household": ("GET", STAFF),
    "visits.assign": ("POST", STAFF),
    "visits.record": ("GET", STAFF),
    "followups.followup_list": ("GET", STAFF),
    "followups.followup_export": ("GET", STAFF),
    "followups.followup_record": ("GET", STAFF),
}


# API routes: `public` for the session check, because they demand their own bearer key instead.
# Without a key they answer 401 (JSON) to every role, signed in or not.
API: dict[str, str] = {
    "api.create_referral": "POST",
    "api.batch": "POST",
    "api.referral_detail": "GET",
    "api.referral_feed": "GET",
}

# Routes where an allowed role may still be refused for this object (not its organisation's claim).
OBJECT_LEVEL = {"needs.add_evidence", "needs.deliver", "needs.release", "needs.evidence_file"}
# Meals: only members of a company manage outlets and pledges; only social-work projects issue codes.
OBJECT_LEVEL |= {endpoint for endpoint in EXPECTED if endpoint.startswith(("company_meals.", "meal_codes."))}


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - EXPECTED.keys() - API.keys() == set(), "classify these routes in EXPECTED (or API)"
    assert (EXPECTED.keys() | API.keys()) - endpoints == set(), "EXPECTED lists routes that no longer exist"


def _url(app, endpoint, values):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


def _meal_values() -> dict[str, object]:
    """An outlet with an approved meal pledge, and an eligibility code, for the meal routes."""
    from datetime import date

    from marketplace.extensions import db
    from marketplace.meals import eligibility
    from tests.meals.support import approve_pledge, make_outlet

    approve_pledge(outlet := make_outlet(), start=date.today())
    row, _code = eligibility.issue_code(actor=make_user(Role.ADMIN), note="", valid_days=5, today=date.today())
    db.session.commit()
    return {"outlet_id": outlet.id, "code_id": row.id}


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_matrix(app, role):
    org = make_org(region="440104")
    need = make_need("delivered", org=org)
    values = {"org_id": org.id, "user_id": make_user(Role.STAFF).id, "code": "en", "need_id": need.id,
              "referral_id": need.referral_id, "household_id": need.household_id,
              "evidence_id": need.evidence[0].id, "source_id": api_keys.create("matrix-source")[0].source_id,
              "external_id": "GZ-1", "fmt": "csv", "project_id": 1, "pledge_id": 1, "photo_id": 1, "line_id": 1,
              "inspection_id": 1, "request_id": 1, "donation_id": 1, "token": "unknown", "action": "approve",
              "transfer_id": 1, "department_id": 1, "lead_id": 1, "offer_id": 1,
              **_meal_values()}
    client = app.test_client()
    if role != ANON:
        sign_in(client, make_user(role, region="440104" if role == Role.STAFF else None))
    # Sign-out ends the session, so it is checked last.
    for endpoint, (method, allowed) in sorted(EXPECTED.items(), key=lambda item: item[0] == "auth.logout"):
        url = _url(app, endpoint, values)
        response = client.open(url, method=method)
        response.close()
        code = response.status_code
        if role in allowed:
            # Allowed at the route; object rules (region, own claim) may still answer 403/404 and
            # are tested with the feature.
            assert code < 500, (endpoint, role, code)
            assert code != 403 or endpoint in OBJECT_LEVEL, (endpoint, role, code)
            if code == 302:
                assert "/login" not in response.headers["Location"], (endpoint, role)
        elif role == ANON:
            assert code == 302 and "/login" in response.headers["Location"], (endpoint, role, code)
        else:
            assert code == 403, (endpoint, role, code)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_api_routes_answer_401_without_a_key_whatever_the_session(app, role):
    client = app.test_client()
    if role != ANON:
        sign_in(client, make_user(role, region="440104" if role == Role.STAFF else None))
    for endpoint, method in API.items():
        response = client.open(_url(app, endpoint, {"external_id": "GZ-1"}), method=method, json={})
        assert response.status_code == 401, (endpoint, role, response.status_code)
        assert response.get_json()["error"]["code"] == "unauthorized", (endpoint, role)
