"""reference units: the 168 communes (geo/data) and the departments (store/reference)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Loads the units every record points at. The commune attributes (population imputed where the
source leaves it blank) come from geo.communes, the one place that reads the boundary files.
"""
import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEPARTMENTS = Path(__file__).resolve().parents[2] / "reference" / "departments.csv"


def upgrade() -> None:
    from geo.communes import communes_frame

    frame = communes_frame()
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    communes = sa.table("communes", *(sa.column(c) for c in frame.columns))
    op.bulk_insert(communes, rows)
    with DEPARTMENTS.open(encoding="utf-8") as f:
        departments = list(csv.DictReader(f))
    op.bulk_insert(sa.table("departments", sa.column("code"), sa.column("name"), sa.column("name_en")), departments)


def downgrade() -> None:
    op.execute("DELETE FROM departments")
    op.execute("DELETE FROM communes")
