"""lights: household and organisation lights probe composite indexes

A household's light and a claiming organisation's light are EXISTS probes on (household_id, light)
and (claimed_by_id, status, light); the single-column indexes they replace are their prefixes.

Revision ID: 56b1b6a37843
Revises: a43cb2ef13a5
Create Date: 2026-11-25 08:27:33.391959

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '56b1b6a37843'
down_revision = 'a43cb2ef13a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_claimed_by_id'))
        batch_op.drop_index(batch_op.f('ix_needs_household_id'))
        batch_op.create_index('ix_needs_claimed_light', ['claimed_by_id', 'status', 'light'], unique=False)
        batch_op.create_index('ix_needs_household_light', ['household_id', 'light'], unique=False)


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_household_light')
        batch_op.drop_index('ix_needs_claimed_light')
        batch_op.create_index(batch_op.f('ix_needs_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_claimed_by_id'), ['claimed_by_id'], unique=False)
