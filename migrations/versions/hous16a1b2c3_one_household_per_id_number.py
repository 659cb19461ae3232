"""one household per ID number: households.identity_key (UNIQUE keyed hash), household_merges

- households.identity_key: the keyed hash of the ID number, held by the one household that is the
  file of that number. Filled from id_number_hash for the oldest household of each number; the
  younger duplicates stay NULL until staff merge them (the duplicates page lists them).
- household_merges: a merged household's old id and source id → the household it was merged into.

Revision ID: hous16a1b2c3
Revises: c17ntc09c3d4
Create Date: 2026-12-02 15:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'hous16a1b2c3'
down_revision = 'tran01a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_households_identity_key'), ['identity_key'])
    op.execute(
        "UPDATE households SET identity_key = id_number_hash WHERE id IN "
        "(SELECT MIN(id) FROM households WHERE id_number_hash IS NOT NULL GROUP BY id_number_hash)"
    )
    op.create_table('household_merges',
    sa.Column('merged_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kept_id'], ['households.id'], name=op.f('fk_household_merges_kept_id_households')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_household_merges_merged_by_id_users')),
    sa.PrimaryKeyConstraint('merged_id', name=op.f('pk_household_merges'))
    )
    with op.batch_alter_table('household_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_merges_kept_id'), ['kept_id'], unique=False)
        batch_op.create_index('ix_household_merges_source_external_id', ['source', 'external_id'], unique=False)


def downgrade():
    with op.batch_alter_table('household_merges', schema=None) as batch_op:
        batch_op.drop_index('ix_household_merges_source_external_id')
        batch_op.drop_index(batch_op.f('ix_household_merges_kept_id'))
    op.drop_table('household_merges')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_households_identity_key'), type_='unique')
        batch_op.drop_column('identity_key')
