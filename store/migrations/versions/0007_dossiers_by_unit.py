"""Dossiers by unit and received day: a commune's procedures read its own dossiers, not the city's

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

The drill-down's procedure table and charts read one unit's dossiers of a period (metrics/breakdown.py).
With only the day indexes that read visited every dossier of the city in the period: 7.8 s for a commune
since July 2025 on 1.6 million dossiers. This index serves both halves of that read (completed dossiers
are bounded by their received day too). One index, not two: every ingest batch writes it.
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossiers_unit_received_day", "dossiers", ["unit_code", "received_day"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_unit_received_day", table_name="dossiers")
