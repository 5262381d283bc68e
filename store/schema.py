"""The store's tables (SQLAlchemy Core: records are written in bulk, never one ORM object per row).

Times are stored in UTC; `*_day` columns hold the local (Asia/Ho_Chi_Minh) date the rollups group by.
The migrations in store/migrations are the source of truth for the database; these tables mirror them.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.dialects import sqlite

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text, TypeDecorator, UniqueConstraint)
from sqlalchemy import LargeBinary

metadata = MetaData()
SQLITE_TIME_FORMAT = "%(year)04d-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware (UTC) datetimes out, on SQLite (no zone support) and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            # ISO 8601 text, the format numpy writes in bulk (store/writes.py): one format per column
            # keeps SQL comparisons of times (completed_at <= due_at) correct.
            return dialect.type_descriptor(sqlite.DATETIME(storage_format=SQLITE_TIME_FORMAT))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes timezone-aware times")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


communes = Table(
    "communes", metadata,
    Column("code", String(5), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("full_name", String(120), nullable=False),
    Column("name_en", String(100)),
    Column("type", String(20), nullable=False),
    Column("area_km2", Float),
    Column("area_km2_calc", Float),
    Column("population", Integer, nullable=False),
    Column("population_imputed", Boolean, nullable=False),
    Column("population_flag", String(40)),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
)

departments = Table(
    "departments", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200)),
)

dossiers = Table(
    "dossiers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("dossier_id", String(64), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("procedure_code", String(64), nullable=False),
    Column("procedure_name", String(300), nullable=False),
    Column("sector", String(120), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("full_process_online", Boolean, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("status", String(24), nullable=False),
    Column("supplement_requests", Integer, nullable=False),
    Column("fee_bearing", Boolean, nullable=False),
    Column("paid_online", Boolean, nullable=False),
    Column("e_result", Boolean, nullable=False),
    Column("digitised", Boolean, nullable=False),
    Column("data_reused", Boolean, nullable=False),
    Column("accepted_late", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("received_day", Date, nullable=False),
    Column("due_day", Date, nullable=False),
    Column("completed_day", Date),
    UniqueConstraint("source", "dossier_id", name="uq_dossiers_source_id"),
    Index("ix_dossiers_received_day", "received_day"),
    Index("ix_dossiers_completed_day", "completed_day"),
)

tickets = Table(
    "tickets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("category", String(120), nullable=False),
    Column("unit_code", String(32)),
    Column("lat", Float),
    Column("long", Float),
    Column("handling_unit", String(120)),
    Column("received_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("reopened", Boolean, nullable=False),
    Column("rating", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("received_day", Date, nullable=False),
    Column("closed_day", Date),
    UniqueConstraint("source", "ticket_id", name="uq_tickets_source_id"),
    Index("ix_tickets_received_day", "received_day"),
    Index("ix_tickets_closed_day", "closed_day"),
)

document_counts = Table(
    "document_counts", metadata,
    Column("source", String(64), primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("direction", String(10), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("electronic", Integer, nullable=False),
    Column("digitally_signed", Integer, nullable=False),
    Index("ix_document_counts_day", "day"),
)

source_states = Table(
    "source_states", metadata,
    Column("source", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("watermark", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    # The records held from the source and its tickets without a commune, kept by store/writes.py with each
    # batch (migration 0008; issue 8: counting them on view scanned millions of rows).
    Column("records_held", BigInteger, nullable=False, server_default="0"),
    Column("unassigned_tickets", BigInteger, nullable=False, server_default="0"),
)

ingest_runs = Table(
    "ingest_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(12), nullable=False),  # running | ok | failed
    Column("window_from", UTCDateTime),
    Column("window_to", UTCDateTime),
    Column("progress", Float, nullable=False, default=0.0),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_stored", Integer, nullable=False, default=0),
    Column("rows_quarantined", Integer, nullable=False, default=0),
    Column("error", Text),
    Index("ix_ingest_runs_source", "source", "id"),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("run_id", Integer, ForeignKey("ingest_runs.id"), nullable=False),
    Column("record_kind", String(20), nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("quarantined_at", UTCDateTime, nullable=False),
    Index("ix_quarantine_source", "source", "id"),
)

# Daily rollups: what metrics/ reads. Received measures count on the received day, completion
# measures on the completion day (a dossier touches at most two rows).
dossier_daily = Table(
    "dossier_daily", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sector", String(120), primary_key=True),
    Column("received", Integer, nullable=False),
    Column("received_online", Integer, nullable=False),
    Column("received_full_online", Integer, nullable=False),
    Column("completed", Integer, nullable=False),
    Column("completed_early", Integer, nullable=False),
    Column("completed_on_time", Integer, nullable=False),
    Column("completed_late", Integer, nullable=False),
    Index("ix_dossier_daily_day", "day"),
)

ticket_daily = Table(
    "ticket_daily", metadata,
    Column("unit_code", String(32), primary_key=True),  # '' = not assigned to a commune
    Column("day", Date, primary_key=True),
    Column("category", String(120), primary_key=True),
    Column("received", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("closed_on_time", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
    Index("ix_ticket_daily_day", "day"),
)

data_version = Table(
    "data_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("changed_at", UTCDateTime),
)

# ---- KPI rollups (issue 4). Every table below is keyed by the day an event happened on (received,
# ended) so that the days a batch touched are exactly the rows to recompute; the due day, which a new
# version may move without touching those days, is only ever an attribute of a row, never its key day.

# The working-day calendar as data the rollup SQL can join (metrics.calendar is the source of truth):
# working_day_number counts working days from a fixed origin, so a duration is a difference of two numbers.
calendar_days = Table(
    "calendar_days", metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("working_day_number", Integer, nullable=False),
)

# One row per unit and day, all sectors together: what the KPI frame reads.
dossier_unit_daily = Table(
    "dossier_unit_daily", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    # on the received day
    Column("received", Integer, nullable=False),
    Column("received_online", Integer, nullable=False),
    Column("received_full_online", Integer, nullable=False),
    Column("received_fee_bearing", Integer, nullable=False),
    Column("received_paid_online", Integer, nullable=False),
    Column("received_digitised", Integer, nullable=False),
    Column("received_data_reused", Integer, nullable=False),
    Column("received_accepted_late", Integer, nullable=False),
    # on the day the dossier ended
    Column("completed", Integer, nullable=False),
    Column("completed_early", Integer, nullable=False),
    Column("completed_on_time", Integer, nullable=False),
    Column("completed_late", Integer, nullable=False),
    Column("completed_processed", Integer, nullable=False),
    Column("completed_e_result", Integer, nullable=False),
    Column("completed_working_days", Integer, nullable=False),
    Column("completed_timed", Integer, nullable=False),
    Index("ix_dossier_unit_daily_day", "day"),
)

# Processing time histogram (ended dossiers by whole working days), for medians.
dossier_duration_daily = Table(
    "dossier_duration_daily", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("working_days", Integer, primary_key=True),
    Column("completed", Integer, nullable=False),
    Index("ix_dossier_duration_daily_day", "day"),
)

# Dossiers entering (received) and leaving (ended) the backlog, by the day they become late
# (late_day: the due day, or the received day when more than one supplement was requested).
dossier_due_flow = Table(
    "dossier_due_flow", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("late_day", Date, primary_key=True),
    Column("opened", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Index("ix_dossier_due_flow_day", "day"),
    Index("ix_dossier_due_flow_late_day", "late_day"),
)

# The backlog at the end of each day (dense from a unit's first record to the newest rollup day).
dossier_backlog_daily = Table(
    "dossier_backlog_daily", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("open", Integer, nullable=False),
    Column("open_overdue", Integer, nullable=False),
    Index("ix_dossier_backlog_daily_day", "day"),
)

ticket_unit_daily = Table(
    "ticket_unit_daily", metadata,
    Column("unit_code", String(32), primary_key=True),  # '' = not assigned to a commune
    Column("day", Date, primary_key=True),
    Column("received", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("closed_on_time", Integer, nullable=False),
    Column("closed_reopened", Integer, nullable=False),
    Column("closed_rated_negative", Integer, nullable=False),
    Column("closed_unsatisfactory", Integer, nullable=False),
    Index("ix_ticket_unit_daily_day", "day"),
)

ticket_due_flow = Table(
    "ticket_due_flow", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("late_day", Date, primary_key=True),
    Column("opened", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Index("ix_ticket_due_flow_day", "day"),
    Index("ix_ticket_due_flow_late_day", "late_day"),
)

ticket_backlog_daily = Table(
    "ticket_backlog_daily", metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("open", Integer, nullable=False),
    Column("open_overdue", Integer, nullable=False),
    Index("ix_ticket_backlog_daily_day", "day"),
)

# A commune's procedures read its own dossiers of a period (metrics/breakdown.py; migration 0007).
Index("ix_dossiers_unit_received_day", dossiers.c.unit_code, dossiers.c.received_day)

# Early warning reads open dossiers of one unit by due day: a small partial index, not a scan.
Index("ix_dossiers_open_due", dossiers.c.unit_code, dossiers.c.due_day,
      sqlite_where=dossiers.c.completed_day.is_(None), postgresql_where=dossiers.c.completed_day.is_(None))

# ---- Monthly rollups (migration 0004): the daily measures summed per calendar month (`month`: its first day)
# and unit. A month's frame reads ~180 rows here instead of ~6,000 daily rows (~90,000 for the histogram);
# a period's partial months are read from the daily tables. Keyed month first (and, on SQLite, stored in
# key order, WITHOUT ROWID) so a month is one contiguous range. The dossier and ticket tables are recomputed
# by store.rollups for the months a batch touched; the document table is kept by triggers on
# document_counts (migration 0004), whose writes report no touched days.
_MONTHLY = {"sqlite_with_rowid": False}

dossier_unit_monthly = Table(
    "dossier_unit_monthly", metadata,
    Column("month", Date, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    *(Column(c.name, Integer, nullable=False) for c in dossier_unit_daily.c if c.name not in ("unit_code", "day")),
    # Bit d-1 set when the unit received a dossier on day d of the month (continuity without daily rows).
    Column("received_days", Integer, nullable=False),
    **_MONTHLY,
)

dossier_duration_monthly = Table(
    "dossier_duration_monthly", metadata,
    Column("month", Date, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("working_days", Integer, primary_key=True),
    Column("completed", Integer, nullable=False),
    **_MONTHLY,
)

ticket_unit_monthly = Table(
    "ticket_unit_monthly", metadata,
    Column("month", Date, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    *(Column(c.name, Integer, nullable=False) for c in ticket_unit_daily.c if c.name not in ("unit_code", "day")),
    **_MONTHLY,
)

document_unit_monthly = Table(
    "document_unit_monthly", metadata,
    Column("month", Date, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("day_rows", Integer, nullable=False),  # document_counts rows summed here (0: none left, no data)
    Column("total", Integer, nullable=False),
    Column("electronic", Integer, nullable=False),
    Column("digitally_signed", Integer, nullable=False),
    **_MONTHLY,
)

# ---- KPI snapshots (migration 0005): a scope's KPI frame over a period frozen as JSON, with the data version,
# the targets registry version (a hash of its files) and the creation time; each rendered file is kept as
# bytes with its SHA-256, so a download is the same file whatever data arrived since.
snapshots = Table(
    "snapshots", metadata,
    Column("id", String(16), primary_key=True),  # short, random, url-safe (snapshots.scope.SNAPSHOT_ID)
    Column("scope_kind", String(16), nullable=False),  # city | commune | department
    Column("scope_code", String(32), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("data_version", Integer, nullable=False),
    Column("targets_version", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64)),  # the account, once accounts exist
    Column("schedule", String(64)),  # the scheduled job that made it (its retention applies), or none
    Column("demo", Boolean, nullable=False),
    Column("frame", Text, nullable=False),
    Index("ix_snapshots_created_at", "created_at"),
    Index("ix_snapshots_schedule", "schedule", "created_at"),
)

snapshot_files = Table(
    "snapshot_files", metadata,
    Column("snapshot_id", String(16), ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
    Column("format", String(8), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rendered_at", UTCDateTime, nullable=False),
)

# Accounts, tokens and the audit log (migration 0006; access/ owns them). Scopes are space-separated unit
# codes, "*" for everything. Only a token's sha256 is stored; the audit log refuses UPDATE and DELETE.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("scope", Text, nullable=False, default=""),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("session_epoch", Integer, nullable=False, default=0),  # bumped by logout, reset, disable
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
)

access_tokens = Table(
    "access_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # display | api
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("scope", Text, nullable=False, default=""),
    Column("views", Text, nullable=False, default=""),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Index("ix_audit_log_action_actor_at", "action", "actor", "at"),
    Index("ix_audit_log_action_ip_at", "action", "ip", "at"),
)
