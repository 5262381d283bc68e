"""Records held per source, counted at ingest: the sources page reads them instead of counting

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

The sources page showed each source's records held and tickets without a commune as exact count(*) scans:
seconds on a 10-million-dossier store, the tail of issue 8's load test on PostgreSQL. store/writes.py now
keeps these two columns with every batch, in its transaction; here they start from one exact count per source.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_states") as batch:
        batch.add_column(sa.Column("records_held", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("unassigned_tickets", sa.BigInteger(), nullable=False, server_default="0"))
    from store.writes import recount_held

    recount_held(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("source_states") as batch:
        batch.drop_column("unassigned_tickets")
        batch.drop_column("records_held")
