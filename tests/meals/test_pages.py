"""Company, staff and outlet pages of meals, and the privacy rule: nothing an outlet or a company sees
(page, log line) and no audit row carries a resident's phone number, its hash or an eligibility code."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.meals import codes, eligibility
from marketplace.meals.models import MealDay, MealPledge, Outlet, Voucher
from marketplace.meals.phones import phone_hash
from marketplace.settings import service as settings
from tests.conftest import make_user, sign_in
from tests.meals.support import (
    approve_pledge,
    book,
    make_company,
    make_outlet,
    outlet_client,
    phone,
)


def _member_client(app, company):
    client = app.test_client()
    sign_in(client, company.members[0])
    return client


def test_company_registers_outlet_pledges_and_staff_approve(app, as_role, clock):
    company = make_company(name="粤味餐饮")
    member = _member_client(app, company)
    response = member.post("/org/meals/outlets/new", data={
        "name": "粤味北京路店", "address": "北京路88号", "street": "440104003", "serves_from": "11:00",
        "serves_until": "13:30", "is_active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    outlet = db.session.scalars(sa.select(Outlet)).one()
    assert (outlet.district_code, outlet.hours) == ("440104", "11:00–13:30")
    start, end = clock.today.isoformat(), (clock.today + timedelta(days=13)).isoformat()
    response = member.post("/org/meals/pledges/new", data={
        "outlet": outlet.id, "meals_per_day": 20, "starts_on": start, "ends_on": end,
        "weekdays": ["0", "1", "2", "3", "4"]})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    pledge = db.session.scalars(sa.select(MealPledge)).one()
    assert pledge.status == "pending" and pledge.weekdays == 0b0011111
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MealDay)) == 0  # nothing bookable yet

    outsider = as_role(Role.STAFF, region="440106")  # 天河区 staff: not their region
    assert outsider.get(f"/staff/meals/pledges/{pledge.id}").status_code == 403
    staff = as_role(Role.STAFF, region="440104")
    assert "粤味北京路店" in staff.get("/staff/meals/pledges").get_data(as_text=True)
    response = staff.post(f"/staff/meals/pledges/{pledge.id}", data={"decision": "approve"})
    assert response.status_code == 302
    again = staff.post(f"/staff/meals/pledges/{pledge.id}", data={"decision": "approve"})
    assert again.status_code == 200  # the form is gone; approving twice adds nothing
    days = db.session.scalars(sa.select(MealDay).order_by(MealDay.serve_date)).all()
    assert len(days) == 10 and {d.quota for d in days} == {20}
    assert all(d.serve_date.weekday() < 5 for d in days)
    overview = member.get("/org/meals/").get_data(as_text=True)
    assert "粤味北京路店" in overview and "20" in overview


def test_rejection_needs_a_reason_and_company_sees_it(app, as_role, clock):
    company = make_company()
    outlet = make_outlet(company)
    member = _member_client(app, company)
    start = clock.today.isoformat()
    member.post("/org/meals/pledges/new", data={"outlet": outlet.id, "meals_per_day": 5, "starts_on": start,
                                                "ends_on": start, "weekdays": [str(clock.today.weekday())]})
    pledge = db.session.scalars(sa.select(MealPledge)).one()
    staff = as_role(Role.STAFF, region="440104003")  # the street's own caseworker
    refused = staff.post(f"/staff/meals/pledges/{pledge.id}", data={"decision": "reject"})
    assert refused.status_code == 200 and db.session.get(MealPledge, pledge.id).status == "pending"
    staff.post(f"/staff/meals/pledges/{pledge.id}", data={"decision": "reject", "reason": "请补充卫生许可证"})
    assert "请补充卫生许可证" in member.get("/org/meals/").get_data(as_text=True)


def test_only_companies_manage_meals_and_only_their_own_outlets(app, as_role, clock):
    charity_member = as_role(Role.ORG_MEMBER)
    assert charity_member.get("/org/meals/").status_code == 403
    mine, theirs = make_outlet(make_company()), make_outlet(make_company())
    member = _member_client(app, mine.organisation)
    assert member.get(f"/org/meals/outlets/{mine.id}").status_code == 200
    assert member.get(f"/org/meals/outlets/{theirs.id}").status_code == 404


def test_company_creates_outlet_sign_in_and_it_redeems(app, clock):
    outlet = make_outlet()
    approve_pledge(outlet, start=clock.today)
    member = _member_client(app, outlet.organisation)
    response = member.post(f"/org/meals/outlets/{outlet.id}/staff", data={
        "email": "counter@yuewei.example.cn", "password": "counter-pass-1", "display_name": "前台"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "counter@yuewei.example.cn"))
    assert (user.role, user.outlet_id, user.organisation_id) == ("outlet_staff", outlet.id, outlet.organisation_id)
    counter = app.test_client()
    sign_in(counter, user, "counter-pass-1")
    booking = book(outlet, phone(1), clock)
    html = counter.post("/outlet/", data={"code": booking.voucher.code}).get_data(as_text=True)
    assert 'data-result="valid"' in html and 'data-count="redeemed">1<' in html


def test_outlet_staff_without_an_outlet_are_told_so(app, as_role):
    html = as_role(Role.OUTLET_STAFF).get("/outlet/").get_data(as_text=True)
    assert "not assigned" in html and "redeem-form" not in html


def test_cli_creates_outlet_staff_for_an_outlet(app):
    outlet = make_outlet()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "door@example.cn", "--role", "outlet_staff", "--outlet",
                                 str(outlet.id), "--password", "a-good-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "door@example.cn"))
    assert (user.outlet_id, user.organisation_id) == (outlet.id, outlet.organisation_id)
    other = make_company()
    result = runner.invoke(args=["user", "create", "x@example.cn", "--role", "outlet_staff", "--org", str(other.id),
                                 "--outlet", str(outlet.id), "--password", "a-good-password"])
    assert result.exit_code != 0 and "Error" in result.output
    result = runner.invoke(args=["user", "create", "y@example.cn", "--role", "outlet_staff", "--outlet", "4242",
                                 "--password", "a-good-password"])
    assert result.exit_code != 0 and "no outlet" in result.output


def test_eligibility_codes_shown_once_listed_without_code_and_revoked(app, as_role, clock):
    staff = as_role(Role.STAFF, region="440104")
    slip = staff.post("/meal-codes/", data={"note": "个案 YX-0042", "valid_days": 30}).get_data(as_text=True)
    row = db.session.scalars(sa.select(eligibility.EligibilityCode)).one()
    shown = slip.split('<p class="code">', 1)[1].split("<", 1)[0].strip()
    assert row.code_hash == eligibility.code_hash(codes.normalise(shown))
    listing = staff.get("/meal-codes/").get_data(as_text=True)
    assert "个案 YX-0042" in listing and shown not in listing and codes.normalise(shown) not in listing
    refused = staff.post("/meal-codes/", data={"note": "电话 13800138000", "valid_days": 30})
    assert "phone" in refused.get_data(as_text=True)
    other_district = as_role(Role.STAFF, region="440106")
    assert other_district.post(f"/meal-codes/{row.id}/revoke").status_code == 404
    assert staff.post(f"/meal-codes/{row.id}/revoke").status_code == 302
    assert db.session.get(eligibility.EligibilityCode, row.id).revoked_at is not None


def test_social_workers_issue_codes_charities_do_not(app, as_role):
    from tests.conftest import make_org

    project = make_org(kind="project")
    worker = _member_client(app, project)
    assert worker.post("/meal-codes/", data={"note": "", "valid_days": 10}).status_code == 200
    assert db.session.scalar(sa.select(eligibility.EligibilityCode.organisation_id)) == project.id
    assert as_role(Role.ORG_MEMBER).get("/meal-codes/").status_code == 403


def _company_and_outlet_pages(app, outlet) -> list[tuple[str, str]]:
    """Every GET page of the company and outlet areas, as their people see them."""
    member = _member_client(app, outlet.organisation)
    counter = outlet_client(app, outlet)
    pages = []
    for client, prefixes in ((member, ("company_meals.", "organisations.mine")), (counter, ("outlet.",))):
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(prefixes) and "GET" in rule.methods:
                url = (rule.rule.replace("<int:outlet_id>", str(outlet.id)).replace("<code>", "K7QM2XHDP")
                       .replace("<fmt>", "csv"))  # the exports are read for residents' data too
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                pages.append((url, response.get_data(as_text=True)))
    return pages


def test_privacy_nothing_outlets_companies_or_the_audit_log_see_identifies_a_resident(app, client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    outlet = make_outlet()
    approve_pledge(outlet, meals=10, start=clock.today)
    counter = outlet_client(app, outlet)
    admin = make_user(Role.ADMIN)
    numbers = [phone(n) for n in range(1, 6)]
    tokens = []
    for number in numbers:
        response = client.post(f"/meals/outlets/{outlet.id}/book",
                               data={"day": clock.today.isoformat(), "phone": number})
        tokens.append(response.headers["Location"].rsplit("/", 1)[1])
    pages = _company_and_outlet_pages(app, outlet)
    booked = db.session.scalars(sa.select(Voucher).order_by(Voucher.id)).all()
    for voucher in booked[:2]:
        pages.append(("redeem", counter.post("/outlet/", data={"code": voucher.code}).get_data(as_text=True)))
    pages.append(("scan again", counter.post("/outlet/", data={"code": booked[0].code}).get_data(as_text=True)))
    for name in ("scanner", "scanner again"):
        pages.append((name, counter.post("/outlet/redeem", data={"code": booked[2].code}).get_data(as_text=True)))
    client.post(f"/meals/v/{tokens[3]}/cancel")
    # A resident past the free meals books with a caseworker's code, typed into the web form.
    settings.set_value("meals_free_meals", 0, actor=admin)
    _row, code = eligibility.issue_code(actor=admin, note="", valid_days=9, today=clock.today)
    db.session.commit()
    heavy = phone(77)
    response = client.post(f"/meals/outlets/{outlet.id}/book",
                           data={"day": clock.today.isoformat(), "phone": heavy, "eligibility_code": code})
    tokens.append(response.headers["Location"].rsplit("/", 1)[1])
    with_code = db.session.scalar(sa.select(Voucher).where(Voucher.phone_hash == phone_hash(heavy)))
    assert with_code.eligibility_code_id is not None
    pages.append(("redeem", counter.post("/outlet/", data={"code": with_code.code}).get_data(as_text=True)))
    clock.set(clock.today, 15)
    assert "expired 1" in app.test_cli_runner().invoke(args=["meals", "expire"]).output
    pages += _company_and_outlet_pages(app, outlet)

    secrets = {code, codes.normalise(code), eligibility.code_hash(codes.normalise(code)), *tokens}
    for number in [*numbers, heavy]:
        secrets |= {number, f"{number[:3]} {number[3:7]} {number[7:]}", phone_hash(number), phone_hash(number)[:16]}
    for url, html in pages:
        for secret in secrets:
            assert secret not in html, (url, secret)
    audit_text = "\n".join(repr(tuple(row)) for row in db.session.execute(sa.select(AuditEvent.__table__)).all())
    for action in ("meal.book", "meal.redeem", "meal.cancel", "meal.expire", "eligibility_code.issue"):
        assert action in audit_text
    for secret in secrets:
        assert secret not in audit_text, secret
    resident_events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.in_(["meal.book", "meal.cancel"]))).all()
    assert len(resident_events) == 7 and all(e.ip == "" and e.actor_id is None for e in resident_events)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in logged, secret


def test_demo_meals_load_once_and_show_counts_only(app):
    from marketplace.demo import meals as demo_meals
    from marketplace.demo.seed import DEMO_PASSWORD

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and demo_meals.OUTLET_EMAIL in first.output, first.output
    db.session.expire_all()

    def counts():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Outlet)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)),
                db.session.scalar(sa.select(sa.func.sum(MealDay.booked))))

    before = counts()
    assert before[0] == len(demo_meals.OUTLETS) and before[1] > 500
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    db.session.expire_all()
    assert counts() == before
    statuses = set(db.session.scalars(sa.select(Voucher.status).distinct()))
    assert statuses == {"booked", "redeemed", "expired", "cancelled"}
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(MealDay).where(MealDay.booked > MealDay.quota))
    # The days' counters (what counters see after each scan) agree with the demo's vouchers.
    for status, counter_column in (("redeemed", MealDay.redeemed), ("expired", MealDay.expired)):
        counted = (sa.select(sa.func.count()).where(Voucher.outlet_id == MealDay.outlet_id,
                                                    Voucher.serve_date == MealDay.serve_date, Voucher.status == status)
                   .scalar_subquery())
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(MealDay).where(counter_column != counted))
    assert db.session.scalar(sa.select(sa.func.sum(MealDay.redeemed))) > 300

    counter = app.test_client()
    sign_in(counter, db.session.scalar(sa.select(User).where(User.email == demo_meals.OUTLET_EMAIL)), DEMO_PASSWORD)
    company = app.test_client()
    sign_in(company, db.session.scalar(sa.select(User).where(User.email == "org07@shanlian.demo")), DEMO_PASSWORD)
    pages = [counter.get("/outlet/").get_data(as_text=True), company.get("/org/meals/").get_data(as_text=True)]
    assert demo_meals.OUTLETS[0].name in pages[0] and 'data-count="pledged">30<' in pages[0]
    assert all(spec.name in pages[1] for spec in demo_meals.OUTLETS[:3])
    hashes = set(db.session.scalars(sa.select(Voucher.phone_hash)))
    for html in pages:
        assert not any(h in html or h[:16] in html for h in hashes)
    public = app.test_client().get("/meals/").get_data(as_text=True)
    assert demo_meals.OUTLETS[0].name in public


JUNK = ["", " ", "0", "-1", "99999999999999999999", "NaN", "'; DROP TABLE vouchers;--", "<script>x</script>",
        "\u0000", "x" * 5000, "2026-02-30", "25:61", "🙂", "[]"]
FORM_FIELDS = ["name", "address", "street", "serves_from", "serves_until", "is_active", "outlet", "meals_per_day",
               "starts_on", "ends_on", "weekdays", "email", "password", "display_name", "code", "day", "phone",
               "eligibility_code", "decision", "reason", "note", "valid_days", "status", "page"]


def test_junk_in_every_meal_form_never_answers_500(app, clock):
    import random

    from flask import url_for

    rng = random.Random(6)
    outlet = make_outlet()
    pledge = approve_pledge(outlet, start=clock.today)
    values = {"outlet_id": outlet.id, "pledge_id": pledge.id, "code_id": 1, "token": "x", "code": "K7QM2XHDP",
              "fmt": "csv"}
    clients = [_member_client(app, outlet.organisation), outlet_client(app, outlet)]
    for client in clients:
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(("meals.", "outlet.", "company_meals.", "staff_meals.", "meal_codes.")):
                continue
            with app.test_request_context():
                url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
            for _ in range(4):
                data = {f: rng.choice(JUNK) for f in rng.sample(FORM_FIELDS, 10)}
                for method in {"GET", "POST"} & rule.methods:
                    response = client.open(url, method=method, data=data if method == "POST" else None,
                                           query_string=data if method == "GET" else None)
                    response.close()
                    assert response.status_code < 500, (rule.endpoint, method, data)
