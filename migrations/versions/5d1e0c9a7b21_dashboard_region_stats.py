"""dashboard: precomputed figures per region

Revision ID: 5d1e0c9a7b21
Revises: 02ff11bb52aa
Create Date: 2026-11-25 06:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d1e0c9a7b21'
down_revision = '02ff11bb52aa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_stats',
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', name=op.f('pk_region_stats'))
    )


def downgrade():
    op.drop_table('region_stats')
