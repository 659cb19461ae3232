"""lights: organisation lights probe a composite index

A claiming organisation's light is EXISTS probes on (claimed_by_id, status, light), which replaces
the single-column index on claimed_by_id (its prefix). Households keep their plain index: a
household has a handful of needs, and every index holding `light` is one more page written per
changed light.

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
        batch_op.create_index('ix_needs_claimed_light', ['claimed_by_id', 'status', 'light'], unique=False)


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_claimed_light')
        batch_op.create_index(batch_op.f('ix_needs_claimed_by_id'), ['claimed_by_id'], unique=False)
