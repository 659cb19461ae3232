"""The authorization matrix: every route, every role. An unclassified route fails here."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from tests.conftest import make_org, make_user, sign_in

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
    "main.set_language": ("GET", EVERYONE),
    "main.health": ("GET", EVERYONE),
    "auth.login": ("GET", EVERYONE),
    "auth.logout": ("POST", SIGNED_IN),
    "organisations.register": ("GET", EVERYONE),
    "organisations.mine": ("GET", MEMBERS),
    "organisations.review_list": ("GET", STAFF),
    "organisations.review": ("GET", STAFF),
    "staff.index": ("GET", STAFF),
    "admin.index": ("GET", ADMIN),
    "admin.users": ("GET", ADMIN),
    "admin.user_new": ("GET", ADMIN),
    "admin.user_edit": ("GET", ADMIN),
    "audit.browse": ("GET", ADMIN),
}


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - EXPECTED.keys() == set(), "classify these routes in EXPECTED and give them an access rule"
    assert EXPECTED.keys() - endpoints == set(), "EXPECTED lists routes that no longer exist"


def _url(app, endpoint, org_id, user_id):
    values = {"org_id": org_id, "user_id": user_id, "code": "en"}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_matrix(app, role):
    org = make_org(region="440104")
    target_user = make_user(Role.STAFF)
    client = app.test_client()
    if role != ANON:
        sign_in(client, make_user(role, region="440104" if role == Role.STAFF else None))
    # Sign-out ends the session, so it is checked last.
    for endpoint, (method, allowed) in sorted(EXPECTED.items(), key=lambda item: item[0] == "auth.logout"):
        url = _url(app, endpoint, org.id, target_user.id)
        response = client.open(url, method=method)
        code = response.status_code
        if role in allowed:
            assert code in (200, 302), (endpoint, role, code)
            if code == 302:
                assert "/login" not in response.headers["Location"], (endpoint, role)
        elif role == ANON:
            assert code == 302 and "/login" in response.headers["Location"], (endpoint, role, code)
        else:
            assert code == 403, (endpoint, role, code)
