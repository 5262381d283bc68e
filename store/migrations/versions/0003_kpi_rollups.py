"""KPI rollups: working-day calendar, per-unit daily measures, processing-time histogram, backlog stocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Adds the rollups the KPI catalogue (issue 4) reads, and a partial index for the early-warning list.
Existing records are rolled up once here, so a store migrated with data in it is complete at once.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INT = dict(nullable=False)


def _counts(*names):
    return [sa.Column(n, sa.Integer(), **_INT) for n in names]


def upgrade() -> None:
    op.create_table("calendar_days",
                    sa.Column("day", sa.Date(), primary_key=True),
                    sa.Column("working", sa.Boolean(), nullable=False),
                    sa.Column("working_day_number", sa.Integer(), nullable=False))
    op.create_table("dossier_unit_daily",
                    sa.Column("unit_code", sa.String(32), primary_key=True),
                    sa.Column("day", sa.Date(), primary_key=True),
                    *_counts("received", "received_online", "received_full_online", "received_fee_bearing",
                             "received_paid_online", "received_digitised", "received_data_reused",
                             "received_accepted_late", "completed", "completed_early", "completed_on_time",
                             "completed_late", "completed_processed", "completed_e_result",
                             "completed_working_days", "completed_timed"))
    op.create_index("ix_dossier_unit_daily_day", "dossier_unit_daily", ["day"])
    op.create_table("dossier_duration_daily",
                    sa.Column("unit_code", sa.String(32), primary_key=True),
                    sa.Column("day", sa.Date(), primary_key=True),
                    sa.Column("working_days", sa.Integer(), primary_key=True),
                    *_counts("completed"))
    op.create_index("ix_dossier_duration_daily_day", "dossier_duration_daily", ["day"])
    for kind in ("dossier", "ticket"):
        op.create_table(f"{kind}_due_flow",
                        sa.Column("unit_code", sa.String(32), primary_key=True),
                        sa.Column("day", sa.Date(), primary_key=True),
                        sa.Column("late_day", sa.Date(), primary_key=True),
                        *_counts("opened", "closed"))
        op.create_index(f"ix_{kind}_due_flow_day", f"{kind}_due_flow", ["day"])
        op.create_index(f"ix_{kind}_due_flow_late_day", f"{kind}_due_flow", ["late_day"])
        op.create_table(f"{kind}_backlog_daily",
                        sa.Column("unit_code", sa.String(32), primary_key=True),
                        sa.Column("day", sa.Date(), primary_key=True),
                        *_counts("open", "open_overdue"))
        op.create_index(f"ix_{kind}_backlog_daily_day", f"{kind}_backlog_daily", ["day"])
    op.create_table("ticket_unit_daily",
                    sa.Column("unit_code", sa.String(32), primary_key=True),
                    sa.Column("day", sa.Date(), primary_key=True),
                    *_counts("received", "closed", "closed_on_time", "closed_reopened", "closed_rated_negative",
                             "closed_unsatisfactory"))
    op.create_index("ix_ticket_unit_daily_day", "ticket_unit_daily", ["day"])
    op.create_index("ix_dossiers_open_due", "dossiers", ["unit_code", "due_day"],
                    sqlite_where=sa.text("completed_day IS NULL"), postgresql_where=sa.text("completed_day IS NULL"))

    from store import rollups

    rollups.rebuild_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_dossiers_open_due", table_name="dossiers")
    for table in ("ticket_unit_daily", "ticket_backlog_daily", "ticket_due_flow", "dossier_backlog_daily",
                  "dossier_due_flow", "dossier_duration_daily", "dossier_unit_daily", "calendar_days"):
        op.drop_table(table)
