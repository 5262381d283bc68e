"""records, rollups, ingest bookkeeping

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Times are stored in UTC (timestamptz on PostgreSQL); see store/schema.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('communes',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('area_km2_calc', sa.Float(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('population_imputed', sa.Boolean(), nullable=False),
    sa.Column('population_flag', sa.String(length=40), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(sa.table('data_version', sa.column('id'), sa.column('version')), [{'id': 1, 'version': 0}])
    op.create_table('departments',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('document_counts',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('electronic', sa.Integer(), nullable=False),
    sa.Column('digitally_signed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', 'unit_code', 'day', 'direction')
    )
    with op.batch_alter_table('document_counts', schema=None) as batch_op:
        batch_op.create_index('ix_document_counts_day', ['day'], unique=False)

    op.create_table('dossier_daily',
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sector', sa.String(length=120), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('received_online', sa.Integer(), nullable=False),
    sa.Column('received_full_online', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('completed_early', sa.Integer(), nullable=False),
    sa.Column('completed_on_time', sa.Integer(), nullable=False),
    sa.Column('completed_late', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_code', 'day', 'sector')
    )
    with op.batch_alter_table('dossier_daily', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_daily_day', ['day'], unique=False)

    op.create_table('dossiers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('dossier_id', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('procedure_name', sa.String(length=300), nullable=False),
    sa.Column('sector', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('full_process_online', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('supplement_requests', sa.Integer(), nullable=False),
    sa.Column('fee_bearing', sa.Boolean(), nullable=False),
    sa.Column('paid_online', sa.Boolean(), nullable=False),
    sa.Column('e_result', sa.Boolean(), nullable=False),
    sa.Column('digitised', sa.Boolean(), nullable=False),
    sa.Column('data_reused', sa.Boolean(), nullable=False),
    sa.Column('accepted_late', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_day', sa.Date(), nullable=False),
    sa.Column('due_day', sa.Date(), nullable=False),
    sa.Column('completed_day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'dossier_id', name='uq_dossiers_source_id')
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_completed_day', ['completed_day'], unique=False)
        batch_op.create_index('ix_dossiers_received_day', ['received_day'], unique=False)

    op.create_table('ingest_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('window_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_stored', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.create_index('ix_ingest_runs_source', ['source', 'id'], unique=False)

    op.create_table('source_states',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('watermark', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('source')
    )
    op.create_table('ticket_daily',
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_code', 'day', 'category')
    )
    with op.batch_alter_table('ticket_daily', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_daily_day', ['day'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('long', sa.Float(), nullable=True),
    sa.Column('handling_unit', sa.String(length=120), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_day', sa.Date(), nullable=False),
    sa.Column('closed_day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'ticket_id', name='uq_tickets_source_id')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_closed_day', ['closed_day'], unique=False)
        batch_op.create_index('ix_tickets_received_day', ['received_day'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('quarantined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_source', ['source', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_source')

    op.drop_table('quarantine')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_received_day')
        batch_op.drop_index('ix_tickets_closed_day')

    op.drop_table('tickets')
    with op.batch_alter_table('ticket_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_daily_day')

    op.drop_table('ticket_daily')
    op.drop_table('source_states')
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_ingest_runs_source')

    op.drop_table('ingest_runs')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_received_day')
        batch_op.drop_index('ix_dossiers_completed_day')

    op.drop_table('dossiers')
    with op.batch_alter_table('dossier_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_daily_day')

    op.drop_table('dossier_daily')
    with op.batch_alter_table('document_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_document_counts_day')

    op.drop_table('document_counts')
    op.drop_table('departments')
    op.drop_table('data_version')
    op.drop_table('communes')
