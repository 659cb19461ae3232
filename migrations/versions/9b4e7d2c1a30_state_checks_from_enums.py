"""state checks from the enums: a need's confirmation channel and a project milestone row's name

Every status, milestone and kind column now has its CHECK built from its StrEnum (db.enum_check).
The columns that had one keep it unchanged (the enums list the same values in the same order);
these two had none. The values are written out here, not read from the enums, so this migration
means the same thing whatever the enums become later.

Revision ID: 9b4e7d2c1a30
Revises: c3f1d2e4a5b6
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b4e7d2c1a30'
down_revision = 'c3f1d2e4a5b6'
branch_labels = None
depends_on = None

MILESTONES = "'surveyed', 'plan_approved', 'covered', 'works_started', 'inspected', 'accepted'"


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_needs_confirmed_via'), "confirmed_via IN ('caseworker', 'recipient')")
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_project_milestones_milestone'), f"milestone IN ({MILESTONES})")


def downgrade():
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_project_milestones_milestone'), type_='check')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_needs_confirmed_via'), type_='check')
