"""matching: organisations' capability profiles, "not for us" dismissals, routed offers

- organisations: capacity_open, capacity_month, value_min_fen, value_max_fen, response_hours
  (all nullable: not stated).
- need_dismissals: one row per organisation and need it said is not for it.
- offers: a need routed by staff to one organisation (FHIR Task statuses); at most one
  'requested' offer per need (partial unique index).
- needs: two indexes for the recommendations' candidates (status, place, category, urgency, age).

Revision ID: matc15a1b2c3
Revises: c17ntc09c3d4
Create Date: 2026-12-02 15:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'matc15a1b2c3'
down_revision = 'hous16a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity_open', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('capacity_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('value_min_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('value_max_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('response_hours', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_organisations_value_range'),
            "value_min_fen IS NULL OR value_max_fen IS NULL OR value_min_fen <= value_max_fen")

    op.create_table('need_dismissals',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_need_dismissals_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_dismissals_need_id_needs'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_need_dismissals_created_by_id_users')),
    sa.PrimaryKeyConstraint('organisation_id', 'need_id', name=op.f('pk_need_dismissals'))
    )
    op.create_index(op.f('ix_need_dismissals_need_id'), 'need_dismissals', ['need_id'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'accepted', 'rejected', 'cancelled', 'expired')",
                       name=op.f('ck_offers_status')),
    sa.CheckConstraint("reason IN ('no_capacity', 'outside_services', 'outside_area', 'cannot_contact', 'other')",
                       name=op.f('ck_offers_reason')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_offers_need_id_needs')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_offers_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_offers_created_by_id_users')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_offers_answered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    op.create_index(op.f('ix_offers_need_id'), 'offers', ['need_id'], unique=False)
    op.create_index('ix_offers_organisation', 'offers', ['organisation_id', 'status', 'created_at'], unique=False)
    op.create_index('ix_offers_due', 'offers', ['status', 'due_at'], unique=False)
    op.create_index('uq_offers_one_requested_per_need', 'offers', ['need_id'], unique=True,
                    sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))

    op.create_index('ix_needs_match_street', 'needs',
                    ['status', 'street_code', 'category', 'is_urgent', 'published_at', 'id'], unique=False)
    op.create_index('ix_needs_match_district', 'needs',
                    ['status', 'district_code', 'category', 'is_urgent', 'published_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_needs_match_district', table_name='needs')
    op.drop_index('ix_needs_match_street', table_name='needs')
    op.drop_index('uq_offers_one_requested_per_need', table_name='offers',
                  sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))
    op.drop_index('ix_offers_due', table_name='offers')
    op.drop_index('ix_offers_organisation', table_name='offers')
    op.drop_index(op.f('ix_offers_need_id'), table_name='offers')
    op.drop_table('offers')
    op.drop_index(op.f('ix_need_dismissals_need_id'), table_name='need_dismissals')
    op.drop_table('need_dismissals')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisations_value_range'), type_='check')
        batch_op.drop_column('response_hours')
        batch_op.drop_column('value_max_fen')
        batch_op.drop_column('value_min_fen')
        batch_op.drop_column('capacity_month')
        batch_op.drop_column('capacity_open')
