"""The command line: accounts, regions and the demo data."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.regions.models import Region
from tests.conftest import REGIONS_CSV, make_org


def test_user_create_for_each_role(app):
    runner = app.test_cli_runner()
    org = make_org()
    result = runner.invoke(args=["user", "create", "Chen@Example.cn", "--role", "staff", "--region", "440104",
                                 "--password", "a-good-password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["user", "create", "m@example.cn", "--role", "org_member", "--org", str(org.id),
                                 "--password", "a-good-password"])
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(db.select(User).where(User.email == "chen@example.cn"))
    assert staff.region_code == "440104" and staff.check_password("a-good-password")


def test_user_create_refuses_bad_input_clearly(app):
    runner = app.test_cli_runner()
    bad = [
        ["x@example.cn", "--role", "staff", "--password", "a-good-password"],  # no region
        ["x@example.cn", "--role", "staff", "--region", "999999", "--password", "a-good-password"],
        ["x@example.cn", "--role", "org_member", "--org", "424242", "--password", "a-good-password"],
        ["x@example.cn", "--role", "king", "--password", "a-good-password"],
        ["x@example.cn", "--role", "admin", "--password", "short"],
    ]
    for args in bad:
        result = runner.invoke(args=["user", "create", *args])
        assert result.exit_code != 0 and "Error" in result.output, args
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_regions_import_is_idempotent_and_refuses_bad_files(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["regions", "import", str(REGIONS_CSV)])
    assert result.exit_code == 0 and "0 created, 0 updated" in result.output
    assert db.session.get(Region, "440104003").name == "北京街道"
    assert db.session.scalar(db.select(db.func.count()).select_from(Region).where(Region.level == "district")) == 11
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code,level\n440199,新区,,district\n440199001,某街道,000000,street\n")
    result = runner.invoke(args=["regions", "import", str(bad)])
    assert result.exit_code != 0 and "line 3" in result.output
    assert db.session.get(Region, "440199") is None  # nothing half-written


def test_demo_load_is_idempotent_and_prints_accounts(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "admin@shanlian.demo" in first.output
    counts = (db.session.scalar(db.select(db.func.count()).select_from(Organisation)),
              db.session.scalar(db.select(db.func.count()).select_from(User)))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert (db.session.scalar(db.select(db.func.count()).select_from(Organisation)),
            db.session.scalar(db.select(db.func.count()).select_from(User))) == counts
    columns = (Organisation.kind, Organisation.status)
    kinds = db.session.execute(db.select(*columns, db.func.count()).group_by(*columns)).all()
    per_kind = {}
    for kind, status, n in kinds:
        per_kind.setdefault(kind, {})[status] = n
    for kind in ("charity", "company", "project"):
        assert sum(per_kind[kind].values()) >= 6 and per_kind[kind].get("pending", 0) >= 1
