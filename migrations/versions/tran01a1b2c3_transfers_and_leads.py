"""transfers to government departments (转办转介) and community leads (主动发现)

- departments: the departments staff transfer cases to, with a contact; the usual ones are seeded.
- transfers: a need (or a referral waiting for triage) handed to a department with an answer
  deadline; at most one open transfer per need (a partial unique index).
- needs.transfer_open: a transferred need is held as a draft, out of the public pool, until the
  department answers.
- leads: households reported by the public, organisations and social workers; staff make them
  referrals (leads.referral_id, unique) or close them with a reason.

Revision ID: tran01a1b2c3
Revises: c17ntc09c3d4
Create Date: 2026-12-02 15:08:09.719803

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'tran01a1b2c3'
down_revision = 'c17ntc09c3d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('remit', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('contact_email', sa.String(length=120), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('household_contact', sa.String(length=300), nullable=False),
    sa.Column('reporter_contact', sa.String(length=200), nullable=False),
    sa.Column('reporter_kind', sa.String(length=12), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('light', sa.String(length=6), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("close_reason IN ('already_known', 'not_in_need', 'cannot_reach', 'out_of_area', 'not_genuine', 'other')", name=op.f('ck_leads_close_reason')),
    sa.CheckConstraint("reporter_kind IN ('public', 'organisation', 'staff')", name=op.f('ck_leads_reporter_kind')),
    sa.CheckConstraint("status IN ('new', 'referred', 'closed')", name=op.f('ck_leads_status')),
    sa.ForeignKeyConstraint(['district_code'], ['regions.code'], name=op.f('fk_leads_district_code_regions')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_leads_referral_id_referrals')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_leads_reporter_id_users')),
    sa.ForeignKeyConstraint(['street_code'], ['regions.code'], name=op.f('fk_leads_street_code_regions')),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['users.id'], name=op.f('fk_leads_triaged_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_leads_referral_id'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_queue', ['district_code', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_leads_street', ['street_code', 'status', 'created_at'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('request_note', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('light', sa.String(length=6), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('taken_over', 'returned')", name=op.f('ck_transfers_outcome')),
    sa.CheckConstraint("status IN ('requested', 'answered', 'overdue')", name=op.f('ck_transfers_status')),
    sa.CheckConstraint('need_id IS NOT NULL OR referral_id IS NOT NULL', name=op.f('ck_transfers_of_need_or_referral')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_transfers_answered_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_transfers_department_id_departments')),
    sa.ForeignKeyConstraint(['district_code'], ['regions.code'], name=op.f('fk_transfers_district_code_regions')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_transfers_need_id_needs')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_transfers_referral_id_referrals')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_transfers_requested_by_id_users')),
    sa.ForeignKeyConstraint(['street_code'], ['regions.code'], name=op.f('fk_transfers_street_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_transfers_queue', ['district_code', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_transfers_street', ['street_code', 'status', 'due_on'], unique=False)
        batch_op.create_index('uq_transfers_one_open_per_need', ['need_id'], unique=True, sqlite_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL"), postgresql_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL"))

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_open', sa.Boolean(), server_default=sa.false(), nullable=False))

    departments = sa.table('departments', sa.column('name', sa.String), sa.column('remit', sa.String),
                           sa.column('contact_name', sa.String), sa.column('contact_phone', sa.String),
                           sa.column('contact_email', sa.String), sa.column('is_active', sa.Boolean),
                           sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(departments, [
        {'name': name, 'remit': remit, 'contact_name': '', 'contact_phone': '', 'contact_email': '',
         'is_active': True, 'created_at': now}
        for name, remit in (("医保局", "医疗保障"), ("住建局", "住房保障与危房改造"), ("人社局", "就业与社会保险"),
                            ("教育局", "教育资助"), ("残联", "残疾人服务与辅具"), ("卫健局", "医疗卫生与健康服务"),
                            ("民政局", "社会救助与养老服务"))
    ])


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_column('transfer_open')

    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('uq_transfers_one_open_per_need', sqlite_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL"), postgresql_where=sa.text("status IN ('requested', 'overdue') AND need_id IS NOT NULL"))
        batch_op.drop_index('ix_transfers_street')
        batch_op.drop_index(batch_op.f('ix_transfers_referral_id'))
        batch_op.drop_index('ix_transfers_queue')
        batch_op.drop_index(batch_op.f('ix_transfers_need_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_department_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_street')
        batch_op.drop_index('ix_leads_queue')

    op.drop_table('leads')
    op.drop_table('departments')
