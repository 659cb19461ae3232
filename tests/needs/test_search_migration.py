"""Migration c14fts06f5a6 indexes what was there before it: needs, referrals, organisations, households."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.households import search as referral_search
from marketplace.households.models import Household, Referral
from marketplace.needs.browse import BrowseFilter, browse
from marketplace.organisations.service import reviewable_query
from marketplace.regions.service import import_regions
from marketplace.search import personal, text
from tests.conftest import REGIONS_CSV, ROOT, app_config, drop_schema, postgres_url, private_schema_url

MIGRATIONS = str(ROOT / "migrations")
NOW = "2026-11-20 02:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def before_search(request, tmp_path):
    """An app on a database of its own, migrated up to the revision before search."""
    schema = f"search_migration_{os.getpid()}"
    if request.param == "sqlite":
        config = app_config(f"sqlite:///{tmp_path / 'before.db'}")
    else:
        url = postgres_url()
        config = app_config(private_schema_url(url, schema))
    app = create_app(config)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="c13pwd02b1c2")
        import_regions(REGIONS_CSV.read_text(encoding="utf-8"))
        db.session.commit()
        yield app
        db.session.rollback()
        db.engine.dispose()
    if request.param == "postgresql":
        drop_schema(url, schema)


def _old_rows() -> None:
    """A household, its referral and published need, and an organisation, written as the old schema had them."""
    execute = db.session.execute
    execute(sa.text(
        "INSERT INTO households (id, source, external_id, category, \"group\", district_code, street_code, members,"
        " head_name, phone, address, id_number, created_at, updated_at) VALUES (1, 'src', 'H-1', 'dibao',"
        " 'elderly_special_difficulty', '440104', '440104011', 1, '李桂芳', '138 0013 8000', '', '440104195201011234',"
        " :now, :now)"), {"now": NOW})
    execute(sa.text(
        "INSERT INTO referrals (id, source, external_id, household_id, district_code, referred_at, status,"
        " decline_reason, need_kind, need_category, title, description, quantity, estimated_value_fen, urgency,"
        " needed_by, content_hash, created_at, updated_at, change_seq, changed_at) VALUES (1, 'src', 'R-1', 1,"
        " '440104', :now, 'triaged', '', 'wish', 'mobility', '轮椅一台', '行动不便。', 1, 50000, 'normal',"
        " '2026-12-31', 'x', :now, :now, 0, :now)"), {"now": NOW})
    execute(sa.text(
        "INSERT INTO needs (id, household_id, referral_id, district_code, street_code, kind, category, title, story,"
        " quantity, value_fen, is_urgent, status, claim_deadline, fulfil_by, published_at, feedback, last_reason,"
        " created_at, updated_at) VALUES (1, 1, 1, '440104', '440104011', 'wish', 'mobility', '轮椅一台',"
        " 'L阿姨，72岁，行动不便。', 1, 50000, false, 'published', '2026-12-10', '2026-12-31', :now, '', '',"
        " :now, :now)"), {"now": NOW})
    execute(sa.text(
        "INSERT INTO organisations (id, name, kind, credit_code, contact_name, contact_phone, contact_email,"
        " description, status, review_reason, created_at) VALUES (1, '越秀区扶老助残慈善会', 'charity',"
        " '53440104MA0000001X', 'x', 'x', 'x', '', 'approved', '', :now)"), {"now": NOW})
    execute(sa.text("INSERT INTO organisation_categories (organisation_id, category) VALUES (1, 'companionship')"))
    execute(sa.text("INSERT INTO organisation_regions (organisation_id, region_code) VALUES (1, '440104')"))
    db.session.commit()


def test_the_migration_backfills_every_index_and_downgrades(before_search):
    _old_rows()
    upgrade(directory=MIGRATIONS)
    for q in ("东山街道", "越秀区", "轮椅", "轮", "出行协助", "Mobility", "老人", "72岁"):
        assert [n.id for n in browse(BrowseFilter(q=q)).needs] == [1], q
    assert browse(BrowseFilter(q="钢琴")).needs == []
    admin = type("Admin", (), {"role": Role.ADMIN, "region_code": None})()
    for q in ("扶老", "陪伴", "Companionship", "越秀区"):
        assert [o.id for o in db.session.scalars(reviewable_query(admin, q=q))] == [1], q
    match = referral_search.match(text.parse("轮椅"))
    assert list(db.session.scalars(match.apply(sa.select(Referral.id)))) == [1]
    household = db.session.get(Household, 1)
    assert household.phone_hash == personal.digest(personal.PHONE, "13800138000")
    assert household.id_number_hash == personal.digest(personal.ID_NUMBER, "440104195201011234")
    assert household.name_hash == personal.digest(personal.NAME, "李桂芳")
    db.session.commit()
    downgrade(directory=MIGRATIONS, revision="c13pwd02b1c2")
    assert "need_search" not in sa.inspect(db.engine).get_table_names()
