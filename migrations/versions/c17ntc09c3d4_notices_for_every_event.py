"""notices for every event: each reader's choice per kind of notice, digest delivery, due-soon reminders

- notification_preferences: one row per user and kind they chose for ('now', 'digest' or 'off');
  no row means the kind's default (now).
- notifications.delivery ('now' or 'digest', 'now' for every existing notice): chosen when the
  notice is made; the minute job emails 'now' notices, the daily digest the others.
- claim_reminders: one row per claim and promised date that was reminded two days before, so the
  hourly job reminds each once.

Revision ID: c17ntc09c3d4
Revises: c14fts06f5a6
Create Date: 2026-12-12 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c17ntc09c3d4'
down_revision = 'c14fts06f5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("delivery IN ('now', 'digest', 'off')", name=op.f('ck_notification_preferences_delivery')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), server_default='now', nullable=False))
        batch_op.create_check_constraint(op.f('ck_notifications_delivery'), "delivery IN ('now', 'digest')")

    op.create_table('claim_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('promised_by', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_reminders_claim_id_claims'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_reminders')),
    sa.UniqueConstraint('claim_id', 'promised_by', name=op.f('uq_claim_reminders_claim_id'))
    )


def downgrade():
    op.drop_table('claim_reminders')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_delivery'), type_='check')
        batch_op.drop_column('delivery')
    op.drop_table('notification_preferences')
