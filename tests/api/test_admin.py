"""The admin side of the API: sources and keys page, documentation linked from the admin area."""

from __future__ import annotations

from marketplace.accounts.models import Role
from marketplace.api import keys
from marketplace.extensions import db
from tests.api.support import BASE, Api, make_key
from tests.conftest import referral_payload


def test_admin_page_lists_sources_key_prefixes_use_and_errors_never_a_key(app, as_role):
    key = make_key("assist-gz")
    revoked = make_key("assist-gz")
    keys.revoke("assist-gz", prefix=revoked[: keys.PREFIX_LENGTH])
    db.session.commit()
    make_key("other-system")
    api = Api(app.test_client(), key)
    api.post("/referrals", referral_payload())
    api.get("/referrals/nope")
    page = as_role(Role.ADMIN).get("/admin/api-sources/").get_data(as_text=True)
    assert "assist-gz" in page and "other-system" in page
    assert key[: keys.PREFIX_LENGTH] in page and revoked[: keys.PREFIX_LENGTH] in page
    assert key not in page and revoked not in page
    assert "<td>2</td>" in page and "<td>1</td>" in page  # requests and errors of assist-gz


def test_admin_area_links_the_sources_page_and_the_api_documentation(as_role):
    admin = as_role(Role.ADMIN)
    page = admin.get("/admin/").get_data(as_text=True)
    assert "/admin/api-sources/" in page and f"{BASE}/docs" in page
    admin.get("/lang/en")
    docs = admin.get(f"{BASE}/docs").get_data(as_text=True)
    for text in ("POST /api/v1/referrals/batch", "GET /api/v1/referrals/{external_id}", "Responses", "Household"):
        assert text in docs
    assert "北京街道" in docs  # the contract's example, readable


def test_docs_page_is_translated_chrome_around_the_document(client):
    page = client.get(f"{BASE}/docs").get_data(as_text=True)
    assert "createReferral" in page and "/api/v1/openapi.json" in page
