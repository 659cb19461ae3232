"""split fulfilment: a need taken in parts, each part's own delivery, confirmation and light; decline codes

- needs.claimed_quantity: how much of the quantity the parts hold (a conditional UPDATE keeps it
  within the quantity); existing claimed/delivered/closed needs hold their whole quantity.
- claims.quantity, delivered_at, confirmed_via, light: a claim is a part of its need; existing
  claims took the whole need.
- the one-active-claim-per-need index becomes one active part per organisation and need.
- referrals.decline_code, declined_at: the coded reason of a decline and when, for the outcome.

Revision ID: part01a1b2c3
Revises: c17ntc09c3d4
Create Date: 2026-12-02 15:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'part01a1b2c3'
down_revision = 'visi01a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_quantity', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE needs SET claimed_quantity = quantity WHERE status IN ('claimed', 'delivered', 'closed')")
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_needs_claimed_within_quantity'),
                                         'claimed_quantity BETWEEN 0 AND quantity')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_via', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('light', sa.String(length=6), nullable=True))
    op.execute("UPDATE claims SET quantity = (SELECT needs.quantity FROM needs WHERE needs.id = claims.need_id)")
    op.execute("UPDATE claims SET delivered_at = (SELECT needs.delivered_at FROM needs WHERE needs.id = claims.need_id)"
               " WHERE status = 'active'")
    op.execute("UPDATE claims SET confirmed_via = (SELECT needs.confirmed_via FROM needs WHERE needs.id = claims.need_id)"
               " WHERE status = 'completed'")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_one_active_per_need')
        batch_op.create_index('uq_claims_one_active_part_per_org', ['need_id', 'organisation_id'], unique=True,
                              sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.create_index('ix_claims_org_light', ['organisation_id', 'status', 'light'], unique=False)
        batch_op.create_check_constraint(op.f('ck_claims_confirmed_via'),
                                         "confirmed_via IN ('caseworker', 'recipient')")
        batch_op.create_check_constraint(op.f('ck_claims_part_quantity_positive'), 'quantity >= 1')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decline_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_referrals_decline_code'),
            "decline_code IN ('duplicate', 'not_eligible', 'out_of_area', 'met_elsewhere', 'other')")


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_referrals_decline_code'), type_='check')
        batch_op.drop_column('declined_at')
        batch_op.drop_column('decline_code')

    # A need held in parts goes back to its first part alone: only one active claim per need survives.
    op.execute("UPDATE claims SET status = 'released', end_reason = 'downgrade: parts removed' WHERE status = 'active'"
               " AND id > (SELECT MIN(c.id) FROM claims c WHERE c.need_id = claims.need_id AND c.status = 'active')")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_claims_part_quantity_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_claims_confirmed_via'), type_='check')
        batch_op.drop_index('ix_claims_org_light')
        batch_op.drop_index('uq_claims_one_active_part_per_org')
        batch_op.create_index('uq_claims_one_active_per_need', ['need_id'], unique=True,
                              sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_column('light')
        batch_op.drop_column('confirmed_via')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('quantity')

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_needs_claimed_within_quantity'), type_='check')
        batch_op.drop_column('claimed_quantity')
