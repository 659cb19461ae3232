"""needs by light in the staff list's order: a district's or street's needs of one light, oldest change first

The staff needs list filtered by light (the work queue's "overdue" link) reads them in its default
order, the oldest change first; ix_needs_light serves the same filter in publication order.

Revision ID: lchg14a1b2c3
Revises: strt14a1b2c3
Create Date: 2026-12-06 22:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'lchg14a1b2c3'
down_revision = 'strt14a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_needs_light_changed', 'needs', ['district_code', 'light', 'updated_at', 'id'], unique=False)
    op.create_index('ix_needs_light_changed_street', 'needs', ['street_code', 'light', 'updated_at', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_needs_light_changed_street', table_name='needs')
    op.drop_index('ix_needs_light_changed', table_name='needs')
