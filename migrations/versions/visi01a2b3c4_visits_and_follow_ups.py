"""visits and follow-ups: visit plans per household, visit records, follow-ups with satisfaction

- visit_plans: one row per household (unique household_id): its visit interval from the
  category/group settings (0: none), the caseworker or social-work project it is assigned to,
  the last visit, and when the caseworker was last told the visit is overdue.
- visits: one row per visit (household_id, when, who, met or not, what was seen, the draft need
  it found).
- follow_ups: one row per closed need (unique need_id): reached, solved, satisfaction 1-5.

Revision ID: visi01a2b3c4
Revises: c17ntc09c3d4
Create Date: 2026-12-02 15:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'visi01a2b3c4'
down_revision = 'matc15a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('interval_days', sa.SmallInteger(), nullable=False),
    sa.Column('caseworker_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_noticed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('caseworker_id IS NULL OR organisation_id IS NULL', name=op.f('ck_visit_plans_one_assignee')),
    sa.CheckConstraint('interval_days >= 0', name=op.f('ck_visit_plans_interval_days')),
    sa.ForeignKeyConstraint(['caseworker_id'], ['users.id'], name=op.f('fk_visit_plans_caseworker_id_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visit_plans_household_id_households')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_visit_plans_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plans')),
    sa.UniqueConstraint('household_id', name=op.f('uq_visit_plans_household_id'))
    )
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_plans_caseworker_id'), ['caseworker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visitors', sa.String(length=200), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('seen', sa.Text(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visits_household_id_households')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_visits_need_id_needs')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_visits_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_household_id_visited_at', ['household_id', 'visited_at'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5',
                       name=op.f('ck_follow_ups_satisfaction')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_follow_ups_need_id_needs')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_follow_ups_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('need_id', name=op.f('uq_follow_ups_need_id'))
    )


def downgrade():
    op.drop_table('follow_ups')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_household_id_visited_at')
    op.drop_table('visits')
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_plans_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_visit_plans_caseworker_id'))
    op.drop_table('visit_plans')
