"""who sees what: public or private project photos with a caption, recommendations on organisations

- project_photos.visibility ('private' or 'public', private for every existing photo) and caption:
  staff choose which photos the project's public page shows; the others are for the region's staff
  and the organisations that pledged.
- organisation_recommendations: the advice of staff who see an organisation but may not decide on it.
- Data: a claimed need's returned-delivery reason that was given to an earlier claim (no rejection
  since the active claim began, per the audit log) is cleared, so the new claimer does not read it.
  It stays in the need's audit history for staff. Not restored on downgrade.

Revision ID: c13see01a0b1
Revises: c17reg07a1b2
Create Date: 2026-12-10 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c13see01a0b1'
down_revision = 'c17reg07a1b2'
branch_labels = None
depends_on = None

# While a need is claimed, its last_reason can only be a rejection's: one older than the active
# claim was written to an earlier claimer.
CLEAR_EARLIER_CLAIMS_REASONS = """
    UPDATE needs SET last_reason = ''
    WHERE status = 'claimed' AND last_reason <> '' AND NOT EXISTS (
        SELECT 1 FROM audit_events a JOIN claims c ON c.need_id = needs.id AND c.status = 'active'
        WHERE a.object_type = 'needs' AND a.object_id = CAST(needs.id AS VARCHAR(64))
          AND a.action = 'need.reject' AND a.at >= c.created_at)
"""


def upgrade():
    with op.batch_alter_table('project_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=8), server_default='private', nullable=False))
        batch_op.add_column(sa.Column('caption', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_check_constraint(op.f('ck_project_photos_visibility'), "visibility IN ('private', 'public')")

    op.create_table('organisation_recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recommended_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f('ck_organisation_recommendations_decision')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_organisation_recommendations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recommended_by_id'], ['users.id'],
                            name=op.f('fk_organisation_recommendations_recommended_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_recommendations'))
    )
    with op.batch_alter_table('organisation_recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_recommendations_organisation_id'), ['organisation_id'],
                              unique=False)

    op.execute(sa.text(CLEAR_EARLIER_CLAIMS_REASONS))


def downgrade():
    with op.batch_alter_table('organisation_recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_recommendations_organisation_id'))
    op.drop_table('organisation_recommendations')

    with op.batch_alter_table('project_photos', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_project_photos_visibility'), type_='check')
        batch_op.drop_column('caption')
        batch_op.drop_column('visibility')
