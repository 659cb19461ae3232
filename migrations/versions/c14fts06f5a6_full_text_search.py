"""full-text search: segmented search tables for needs, referrals and organisations; keyed lookups on households

Three search tables hold each object's tokens (marketplace/search/text.py), indexed by the kind of
index each database has: an FTS5 table with external content and sync triggers on SQLite, a
generated tsvector column (the `simple` configuration, weighted A–D) with a GIN index on
PostgreSQL. Neither is in the models' metadata (marketplace/search/index.py `in_models`).
Households get indexed keyed hashes of name, phone and ID number, and an index on their source id.
Existing rows are backfilled with the segmenter the app uses.

Revision ID: c14fts06f5a6
Revises: c13mfa03c2d3 (written on 9b4e7d2c1a30; follows main's head after merging main)
Create Date: 2026-12-02 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c14fts06f5a6'
down_revision = 'c13mfa03c2d3'
branch_labels = None
depends_on = None

# (search table, its key column, the object's table)
TABLES = (
    ("need_search", "need_id", "needs"),
    ("referral_search", "referral_id", "referrals"),
    ("organisation_search", "organisation_id", "organisations"),
)
COLUMNS = ("title_words", "title_chars", "body_words", "body_chars")
WEIGHTS = ("A", "B", "C", "D")
BATCH = 2000


def _create_search_table(name, key, parent):
    op.create_table(
        name,
        sa.Column(key, sa.Integer(), nullable=False),
        *(sa.Column(column, sa.Text(), nullable=False) for column in COLUMNS),
        sa.ForeignKeyConstraint([key], [f"{parent}.id"], name=op.f(f"fk_{name}_{key}_{parent}"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")),
    )


def _sqlite_index(name, key):
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE {name}_fts USING fts5({cols}, content='{name}', content_rowid='{key}', "
               f"tokenize='unicode61 remove_diacritics 0')")
    op.execute(f"CREATE TRIGGER {name}_fts_insert AFTER INSERT ON {name} BEGIN "
               f"INSERT INTO {name}_fts(rowid, {cols}) VALUES (new.{key}, {new}); END")
    op.execute(f"CREATE TRIGGER {name}_fts_delete AFTER DELETE ON {name} BEGIN "
               f"INSERT INTO {name}_fts({name}_fts, rowid, {cols}) VALUES ('delete', old.{key}, {old}); END")
    op.execute(f"CREATE TRIGGER {name}_fts_update AFTER UPDATE ON {name} BEGIN "
               f"INSERT INTO {name}_fts({name}_fts, rowid, {cols}) VALUES ('delete', old.{key}, {old}); "
               f"INSERT INTO {name}_fts(rowid, {cols}) VALUES (new.{key}, {new}); END")


def _postgresql_index(name):
    vector = " || ".join(f"setweight(to_tsvector('simple'::regconfig, {c}), '{w}')"
                         for c, w in zip(COLUMNS, WEIGHTS, strict=True))
    op.execute(f"ALTER TABLE {name} ADD COLUMN document tsvector GENERATED ALWAYS AS ({vector}) STORED")
    op.execute(f"CREATE INDEX ix_{name}_document ON {name} USING gin (document)")


def upgrade():
    for name, key, parent in TABLES:
        _create_search_table(name, key, parent)
    with op.batch_alter_table('households', schema=None) as batch_op:
        for column in ("name_hash", "phone_hash", "id_number_hash"):
            batch_op.add_column(sa.Column(column, sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_households_{column}"), [column], unique=False)
        batch_op.create_index("ix_households_external_id", ["external_id"], unique=False)
    dialect = op.get_bind().dialect.name
    for name, key, _parent in TABLES:
        if dialect == "sqlite":
            _sqlite_index(name, key)
        else:
            _postgresql_index(name)
    _backfill()


def _backfill():
    """Tokens for every existing need, referral and organisation; keyed hashes for every household."""
    from marketplace.search import personal
    from marketplace.search.labels import in_every_language
    from marketplace.search.text import Document
    from marketplace.taxonomy import HOUSEHOLD_GROUPS, NEED_CATEGORIES, NEED_KINDS, ORGANISATION_KINDS

    bind = op.get_bind()
    names = dict(bind.execute(sa.text("SELECT code, name FROM regions")).all())

    def labels(mapping, code):
        return list(in_every_language(mapping.get(code)))

    def fill(table, key, rows):
        values = []
        for row_id, title, body in rows:
            doc = Document.of(title, body)
            values.append({"k": row_id, "tw": doc.title_words, "tc": doc.title_chars, "bw": doc.body_words,
                           "bc": doc.body_chars})
        if values:
            bind.execute(sa.text(f"INSERT INTO {table} ({key}, {', '.join(COLUMNS)}) VALUES (:k, :tw, :tc, :bw, :bc)"),
                         values)

    def batches(sql):
        last = 0
        while True:
            rows = bind.execute(sa.text(sql), {"last": last, "n": BATCH}).all()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    for rows in batches("SELECT n.id, n.title, n.story, n.category, n.kind, h.\"group\", n.district_code, "
                        "n.street_code FROM needs n JOIN households h ON h.id = n.household_id "
                        "WHERE n.id > :last ORDER BY n.id LIMIT :n"):
        fill("need_search", "need_id", [
            (r[0], r[1], [r[2], *labels(NEED_CATEGORIES, r[3]), *labels(NEED_KINDS, r[4]),
                          *labels(HOUSEHOLD_GROUPS, r[5]), names.get(r[6], ""), names.get(r[7], "")]) for r in rows])
    for rows in batches("SELECT r.id, r.title, r.description, r.need_category, r.need_kind, r.district_code, "
                        "h.street_code, r.source, r.external_id FROM referrals r JOIN households h "
                        "ON h.id = r.household_id WHERE r.id > :last ORDER BY r.id LIMIT :n"):
        fill("referral_search", "referral_id", [
            (r[0], r[1], [r[2], *labels(NEED_CATEGORIES, r[3]), *labels(NEED_KINDS, r[4]), names.get(r[5], ""),
                          names.get(r[6], ""), r[7], r[8]]) for r in rows])
    categories = {}
    for org_id, category in bind.execute(sa.text("SELECT organisation_id, category FROM organisation_categories")):
        categories.setdefault(org_id, []).append(category)
    served = {}
    for org_id, code in bind.execute(sa.text("SELECT organisation_id, region_code FROM organisation_regions "
                                             "ORDER BY region_code")):
        served.setdefault(org_id, []).append(names.get(code, ""))
    for rows in batches("SELECT id, name, description, kind FROM organisations WHERE id > :last ORDER BY id LIMIT :n"):
        fill("organisation_search", "organisation_id", [
            (r[0], r[1], [r[2], *labels(ORGANISATION_KINDS, r[3]),
                          *(t for c in categories.get(r[0], []) for t in labels(NEED_CATEGORIES, c)),
                          *served.get(r[0], [])]) for r in rows])
    for rows in batches("SELECT id, head_name, phone, id_number FROM households WHERE id > :last ORDER BY id LIMIT :n"):
        update = "UPDATE households SET name_hash = :n, phone_hash = :p, id_number_hash = :i WHERE id = :k"
        bind.execute(sa.text(update), [
            {"k": r[0], "n": personal.digest(personal.NAME, r[1]), "p": personal.digest(personal.PHONE, r[2]),
             "i": personal.digest(personal.ID_NUMBER, r[3])} for r in rows])


def downgrade():
    dialect = op.get_bind().dialect.name
    for name, _key, _parent in reversed(TABLES):
        if dialect == "sqlite":
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {name}_fts")
        op.drop_table(name)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index("ix_households_external_id")
        for column in ("id_number_hash", "phone_hash", "name_hash"):
            batch_op.drop_index(batch_op.f(f"ix_households_{column}"))
            batch_op.drop_column(column)
