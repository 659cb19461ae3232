"""each region's office contact: name, phone and address of the office people can reach

Revision ID: c17reg07a1b2
Revises: 9b4e7d2c1a30
Create Date: 2026-12-02 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c17reg07a1b2'
down_revision = '9b4e7d2c1a30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('office_phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('office_address', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('office_address')
        batch_op.drop_column('office_phone')
        batch_op.drop_column('office_name')
