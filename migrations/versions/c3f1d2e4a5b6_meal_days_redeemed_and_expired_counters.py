"""meal days: redeemed and expired counters (the counter's screen reads one row per scan)

Revision ID: c3f1d2e4a5b6
Revises: 56b1b6a37843
Create Date: 2026-11-25 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1d2e4a5b6'
down_revision = '56b1b6a37843'
branch_labels = None
depends_on = None

_COUNT = ("(SELECT count(*) FROM vouchers v WHERE v.outlet_id = meal_days.outlet_id "
          "AND v.serve_date = meal_days.serve_date AND v.status = '{status}')")


def upgrade():
    with op.batch_alter_table('meal_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redeemed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('expired', sa.Integer(), server_default='0', nullable=False))
    # The days already served get their counts from their vouchers.
    op.execute(f"UPDATE meal_days SET redeemed = {_COUNT.format(status='redeemed')}, "
               f"expired = {_COUNT.format(status='expired')}")
    with op.batch_alter_table('meal_days', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_meal_days_counted'), 'redeemed >= 0 AND expired >= 0 AND redeemed + expired <= booked')


def downgrade():
    with op.batch_alter_table('meal_days', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meal_days_counted'), type_='check')
        batch_op.drop_column('expired')
        batch_op.drop_column('redeemed')
