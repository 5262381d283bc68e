"""KPI snapshots: a scope's KPI frame over a period, frozen, and the files rendered from it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

A snapshot holds everything its exports show (the frozen KPI frame as JSON) with the data version, the
targets registry version and its creation time; each file rendered from it is stored once with its
SHA-256, so a download after new data arrives is byte-for-byte the same file.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_code", sa.String(32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("targets_version", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("schedule", sa.String(64), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("frame", sa.Text(), nullable=False),
    )
    op.create_index("ix_snapshots_created_at", "snapshots", ["created_at"])
    op.create_index("ix_snapshots_schedule", "snapshots", ["schedule", "created_at"])
    op.create_table(
        "snapshot_files",
        sa.Column("snapshot_id", sa.String(16), sa.ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("format", sa.String(8), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("snapshot_files")
    op.drop_index("ix_snapshots_schedule", table_name="snapshots")
    op.drop_index("ix_snapshots_created_at", table_name="snapshots")
    op.drop_table("snapshots")
