"""needs by street in browse order: a street's open needs, urgent first then longest waiting

Serves the recommendations of an organisation of many categories (one read per street over all
its categories, matching/recommend.py) and the needs list filtered by street.

Revision ID: strt14a1b2c3
Revises: part01a1b2c3
Create Date: 2026-12-03 12:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'strt14a1b2c3'
down_revision = 'part01a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_needs_browse_street', 'needs',
                    ['status', 'street_code', 'is_urgent', 'published_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_needs_browse_street', table_name='needs')
