"""No input answers 500: every route, as every role, with junk in every field and parameter."""

from __future__ import annotations

import io
import random

import pytest
from flask import url_for

from marketplace.accounts.models import Role
from tests.conftest import make_need, make_org, make_user, sign_in

JUNK = ["", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "'; DROP TABLE needs;--", "<script>x</script>",
        "\u0000", "﷽" * 50, "x" * 5000, "2026-02-30", "../../etc/passwd", "%00", "🙂", "true", "[]", "{}"]
FIELDS = ["email", "password", "name", "kind", "credit_code", "regions", "categories", "decision", "reason", "role",
          "region_code", "organisation_id", "is_enabled", "promised_by", "rating", "feedback", "code", "note",
          "title", "story", "value_yuan", "quantity", "claim_deadline", "fulfil_by", "street_code", "members",
          "head_name", "needed_by", "id", "wish_cap_fen", "next", "q", "status", "light", "page", "after", "min",
          "max", "sort", "district", "category", "what", "board", "period", "snapshot", "since", "until"]


def _url(app, rule, values):
    with app.test_request_context():
        return url_for(rule.endpoint, **{k: values.get(k, 1) for k in rule.arguments})


@pytest.mark.parametrize("role", ["anonymous", Role.ADMIN, Role.STAFF, Role.ORG_MEMBER])
def test_junk_everywhere_never_500(app, role):
    rng = random.Random(2026)
    need = make_need("claimed")
    org = make_org()
    values = {"need_id": need.id, "org_id": org.id, "user_id": need.claimed_by.members[0].id,
              "referral_id": need.referral_id, "household_id": need.household_id, "evidence_id": 1, "code": "en",
              "fmt": "csv", "source_id": 1, "external_id": "x"}
    client = app.test_client()
    if role != "anonymous":
        user = need.claimed_by.members[0] if role == Role.ORG_MEMBER else make_user(role)
        sign_in(client, user)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout") or rule.rule.startswith("/api/"):
            continue
        url = _url(app, rule, values)
        for _ in range(3):
            data = {f: rng.choice(JUNK) for f in rng.sample(FIELDS, 12)}
            if "GET" in rule.methods:
                response = client.get(url, query_string=data)
                response.close()
                assert response.status_code < 500, (rule.endpoint, data)
            if "POST" in rule.methods:
                data["file"] = (io.BytesIO(rng.randbytes(200)), "x.csv")
                response = client.post(url, data=data, content_type="multipart/form-data")
                response.close()
                assert response.status_code < 500, (rule.endpoint, data)


HUGE_IDS = ["99999999999999999999", "2147483648", "9223372036854775808"]


@pytest.mark.parametrize("role", ["anonymous", Role.ADMIN, Role.ORG_MEMBER])
def test_ids_past_the_databases_range_are_not_found_on_every_route(app, role):
    """An id no integer column can hold names nothing: 404, never the database's overflow error."""
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, make_org().members[0] if role == Role.ORG_MEMBER else make_user(role))
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items() if type(conv).__name__ == "IdConverter"]
        if not ints:
            continue
        for huge in HUGE_IDS:
            path = rule.rule
            for name in rule.arguments:
                value = huge if name in ints else "csv" if name == "fmt" else "x"
                path = path.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(path, method=method)
                assert response.status_code == 404, (rule.endpoint, method, path, response.status_code)
                checked += 1
    assert checked > 60  # every route with an id (needs, projects, pledges, outlets, users, …)


def _list_pages(app):
    """The GET pages without path arguments that page their rows."""
    import inspect

    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith("/api/"):
            continue
        if "page_arg()" in inspect.getsource(app.view_functions[rule.endpoint]) or "paginate(" in inspect.getsource(
                app.view_functions[rule.endpoint]):
            yield rule.rule


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.ORG_MEMBER])
def test_a_page_number_past_any_end_shows_a_page_on_every_list(app, role):
    make_need("claimed")
    client = app.test_client()
    sign_in(client, make_org().members[0] if role == Role.ORG_MEMBER else make_user(role))
    pages = list(_list_pages(app))
    assert len(pages) >= 10, pages  # the lists of needs, claims, projects, households, referrals, audit, …
    for path in pages:
        for page in ("99999999999999999999", "2147483648", "-5", "0", "１"):
            response = client.get(path, query_string={"page": page})
            assert response.status_code in (200, 302, 403), (path, page, response.status_code)


def test_a_page_token_edited_by_hand_starts_at_the_first_page(app):
    import html
    import re

    admin = make_user(Role.ADMIN)
    for _ in range(31):  # two pages of 30
        make_user(Role.STAFF)
    client = app.test_client()
    sign_in(client, admin)

    def emails(**args: str) -> tuple[set[str], str]:
        page = client.get("/admin/users", query_string=args).get_data(as_text=True)
        following = re.search(r'<a href="[^"]*after=([^"&]*)[^"]*" rel="next"', page)
        return set(re.findall(r"[\w.+-]+@example\.cn", page)), html.unescape(following.group(1)) if following else ""

    first, token = emails()
    second, _ = emails(after=token)
    assert token and second and not first & second
    for junk in ({"page": "99999999999999999999"}, {"after": "garbage"}, {"before": "W10"}, {"after": "x" * 500}):
        assert emails(**junk)[0] == first, junk


@pytest.mark.parametrize("param, value", [("since", "0001-01-01"), ("until", "9999-12-31"), ("since", "1899-12-31")])
def test_audit_dates_outside_the_logs_years_are_a_clear_error(app, param, value):
    client = app.test_client()
    sign_in(client, make_user(Role.ADMIN))
    client.get("/lang/en")
    response = client.get("/admin/audit/", query_string={param: value})
    assert response.status_code == 200
    assert "Choose a date between 2000-01-01 and 2099-12-31." in response.get_data(as_text=True)


@pytest.mark.parametrize("what", ["\n", "🙂", "a:b", "x/y", "[*]", "figures;x=y", "Figures "])
def test_the_dashboard_export_takes_only_what_it_offers(app, what):
    client = app.test_client()
    sign_in(client, make_user(Role.ADMIN))
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/staff/dashboard/export.{fmt}", query_string={"what": what}).status_code == 404


def test_the_dashboard_exports_name_their_file_through_the_header_encoding(app):
    client = app.test_client()
    sign_in(client, make_user(Role.ADMIN))
    for what in ("figures", "overdue"):
        response = client.get("/staff/dashboard/export.xlsx", query_string={"what": what})
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment; filename=shanlian-" + what)
