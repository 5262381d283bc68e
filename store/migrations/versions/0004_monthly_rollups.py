"""Monthly rollups per unit and calendar month (what the KPI frame reads for whole months)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A month's frame read ~6,000 daily rows (~90,000 for the processing-time histogram, ~11,000 document
counts) per query; these tables hold one row per unit and month. The dossier and ticket ones are filled
here from the daily rollups already in the store (not from records) and kept by store.rollups; the
document one is kept by triggers on document_counts, because document writes report no touched days.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_DOSSIER = ("received", "received_online", "received_full_online", "received_fee_bearing", "received_paid_online",
            "received_digitised", "received_data_reused", "received_accepted_late", "completed", "completed_early",
            "completed_on_time", "completed_late", "completed_processed", "completed_e_result",
            "completed_working_days", "completed_timed", "received_days")
_TICKET = ("received", "closed", "closed_on_time", "closed_reopened", "closed_rated_negative",
           "closed_unsatisfactory")
_DOCS = ("day_rows", "total", "electronic", "digitally_signed")
_NO_ROWID = {"sqlite_with_rowid": False}


def _key():
    return [sa.Column("month", sa.Date(), primary_key=True), sa.Column("unit_code", sa.String(32), primary_key=True)]


def _counts(names):
    return [sa.Column(n, sa.Integer(), nullable=False) for n in names]


def _document_triggers(dialect: str) -> list[str]:
    # Add a row's counts to its month; an update moves them (old out, new in); a delete takes them out.
    if dialect == "sqlite":
        month = "date({}.day, 'start of month')"
        add = ("INSERT INTO document_unit_monthly (month, unit_code, day_rows, total, electronic, digitally_signed) "
               f"VALUES ({month.format('NEW')}, NEW.unit_code, 1, NEW.total, NEW.electronic, NEW.digitally_signed) "
               "ON CONFLICT (month, unit_code) DO UPDATE SET day_rows = day_rows + 1, total = total + excluded.total, "
               "electronic = electronic + excluded.electronic, "
               "digitally_signed = digitally_signed + excluded.digitally_signed;")
        remove = ("UPDATE document_unit_monthly SET day_rows = day_rows - 1, total = total - OLD.total, "
                  "electronic = electronic - OLD.electronic, "
                  "digitally_signed = digitally_signed - OLD.digitally_signed "
                  f"WHERE month = {month.format('OLD')} AND unit_code = OLD.unit_code;")
        trigger = "CREATE TRIGGER document_counts_monthly_{} AFTER {} ON document_counts BEGIN {} END"
        return [trigger.format("insert", "INSERT", add), trigger.format("update", "UPDATE", f"{remove} {add}"),
                trigger.format("delete", "DELETE", remove)]
    m = "document_unit_monthly"
    return ["""
CREATE FUNCTION document_counts_monthly() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE document_unit_monthly SET day_rows = day_rows - 1, total = total - OLD.total,
               electronic = electronic - OLD.electronic, digitally_signed = digitally_signed - OLD.digitally_signed
        WHERE month = date_trunc('month', OLD.day)::date AND unit_code = OLD.unit_code;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO document_unit_monthly (month, unit_code, day_rows, total, electronic, digitally_signed)
        VALUES (date_trunc('month', NEW.day)::date, NEW.unit_code, 1, NEW.total, NEW.electronic, NEW.digitally_signed)
        ON CONFLICT (month, unit_code) DO UPDATE SET day_rows = %(m)s.day_rows + 1,
               total = %(m)s.total + excluded.total,
               electronic = %(m)s.electronic + excluded.electronic,
               digitally_signed = %(m)s.digitally_signed + excluded.digitally_signed;
    END IF;
    RETURN NULL;
END $$""" % {"m": m},
            "CREATE TRIGGER document_counts_monthly AFTER INSERT OR UPDATE OR DELETE ON document_counts "
            "FOR EACH ROW EXECUTE FUNCTION document_counts_monthly()"]


def upgrade() -> None:
    op.create_table("dossier_unit_monthly", *_key(), *_counts(_DOSSIER), **_NO_ROWID)
    op.create_table("dossier_duration_monthly", *_key(),
                    sa.Column("working_days", sa.Integer(), primary_key=True), *_counts(("completed",)), **_NO_ROWID)
    op.create_table("ticket_unit_monthly", *_key(), *_counts(_TICKET), **_NO_ROWID)
    op.create_table("document_unit_monthly", *_key(), *_counts(_DOCS), **_NO_ROWID)

    bind = op.get_bind()
    month = "date(day, 'start of month')" if bind.dialect.name == "sqlite" else "date_trunc('month', day)::date"
    op.execute(f"INSERT INTO document_unit_monthly (month, unit_code, day_rows, total, electronic, digitally_signed) "
               f"SELECT {month}, unit_code, COUNT(*), SUM(total), SUM(electronic), SUM(digitally_signed) "
               f"FROM document_counts GROUP BY {month}, unit_code")
    for statement in _document_triggers(bind.dialect.name):
        op.execute(statement)

    from store import rollups

    rollups.rebuild_months(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER document_counts_monthly_{op_name}")
    else:
        op.execute("DROP TRIGGER document_counts_monthly ON document_counts")
        op.execute("DROP FUNCTION document_counts_monthly()")
    for table in ("document_unit_monthly", "ticket_unit_monthly", "dossier_duration_monthly", "dossier_unit_monthly"):
        op.drop_table(table)
