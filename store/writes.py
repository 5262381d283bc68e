"""Bulk writes: idempotent upserts by (source, id), quarantine rows, the data version.

A newer version of a record replaces an older one; an older or equal one never replaces a newer
(out-of-order deliveries and re-pulls are harmless). Records go to the driver's executemany as
tuples: SQLAlchemy's per-row parameter processing cost more than the database itself (measured:
5.7 s of a 10 s pull of 70,000 dossiers).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
from datetime import date, datetime, timezone
from functools import lru_cache
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, select, text, update

from ingest.contracts import RecordKind
from metrics.time import now, steady_offset
from store import copy_format, rollups
from store.schema import data_version, document_counts, dossiers, quarantine, tickets

CHUNK = 5000


# Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975: a local day is a fixed offset away.
LOCAL_OFFSET_S = 7 * 3600


def _iso(epoch_seconds: np.ndarray, unit: str, zone: bool = False) -> list:
    """Epoch seconds (NaN = missing) → ISO text in UTC at `unit` precision ('us' or 'D'), None where missing;
    with `zone`, a time ends in Z (PostgreSQL's timestamptz; SQLite keeps naive UTC text). A batch's days are
    few: each distinct day is written once (a quarter of the time of writing every value, issue 3)."""
    missing = np.isnan(epoch_seconds)
    if unit == "us":
        ticks = np.rint(np.where(missing, 0, epoch_seconds) * 1e6).astype("int64")
        text = np.datetime_as_string(ticks.astype("datetime64[us]"), timezone="UTC" if zone else "naive")
    else:
        days, at = np.unique(np.floor(np.where(missing, 0, epoch_seconds) / 86400).astype("int64"),
                             return_inverse=True)
        text = np.datetime_as_string(days.astype("datetime64[D]"))[at]
    text = text.astype(object)
    text[missing] = None
    return text.tolist()


def _epoch_seconds(values: list) -> np.ndarray:
    """Aware datetimes (None: NaN) as epoch seconds, equal to `timestamp()` each. A column of plain datetimes in
    one zone (a ZoneInfo or a fixed offset) is read at once from their pickled fields (year … microsecond), the
    zone's offset looked up once per local day; a day whose offset changes, and anything else, goes value by value
    (`timestamp()`: ~0.47 µs a value, ~1.8 µs a dossier; here ~0.28 µs, issue 3)."""
    out = np.full(len(values), np.nan)
    present = np.array([v is not None for v in values], dtype=bool)
    items = [v for v in values if v is not None] if not present.all() else values
    if not items:
        return out
    stamps = None
    if set(map(type, items)) == {datetime}:
        states = list(map(itemgetter(1), map(datetime.__reduce__, items)))  # (10 bytes, tzinfo) each
        zones = set(map(len, states)) == {2} and set(map(itemgetter(1), states))
        if zones and len(zones) == 1 and isinstance(zone := next(iter(zones)), (ZoneInfo, timezone)):
            fields = np.frombuffer(b"".join(map(itemgetter(0), states)), np.uint8).reshape(-1, 10).astype(np.int64)
            months = (fields[:, 0] * 256 + fields[:, 1] - 1970) * 12 + (fields[:, 2] & 0x7F) - 1  # bit 7: fold
            days = (months.astype("datetime64[M]").astype("datetime64[D]") + fields[:, 3] - 1).astype(np.int64)
            distinct, which = np.unique(days, return_inverse=True)
            found = [steady_offset(zone, d) for d in distinct.tolist()]
            offsets = np.array([o or 0 for o in found], dtype=np.int64)[which]
            micro = ((days * 86400 + fields[:, 4] * 3600 + fields[:, 5] * 60 + fields[:, 6] - offsets) * 1_000_000
                     + (fields[:, 7] << 16 | fields[:, 8] << 8 | fields[:, 9]))
            # Whole microseconds divided by 10**6, as timestamp() does: exact while they fit a double (1685–2255).
            stamps = micro / 1e6
            for i in np.flatnonzero(~np.array([o is not None for o in found])[which] | (np.abs(micro) >= 2**53)):
                stamps[i] = items[i].timestamp()
    if stamps is None:
        stamps = np.fromiter((v.timestamp() for v in items), float, len(items))  # a subclass's own timestamp()
    out[present] = stamps
    return out


class _Upsert:
    """One table's upsert: the SQL, and how a validated record becomes a row of driver values."""

    def __init__(self, table: Table, key: tuple[str, ...], fields: tuple[str, ...], days: dict[str, str],
                 versioned: bool):
        self.table, self.key, self.fields, self.days = table, key, fields, days
        self.get = attrgetter(*fields)
        self.columns = ("source", *fields, *days)
        updates = [c for c in self.columns if c not in key]
        self.day_columns = tuple(days)
        # Versioned records replace only older versions; counts replace only different counts.
        guard = (f"{table.name}.updated_at < excluded.updated_at" if versioned else
                 " OR ".join(f"{table.name}.{c} IS DISTINCT FROM excluded.{c}" for c in updates))
        self.sql_body = (f"INSERT INTO {table.name} ({', '.join(self.columns)}) VALUES ({{marks}}) "
                         f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
                         + ", ".join(f"{c} = excluded.{c}" for c in updates) + f" WHERE {guard}")

    @lru_cache(maxsize=2)
    def sql(self, paramstyle: str) -> str:
        mark = "?" if paramstyle == "qmark" else "%s"
        sql = self.sql_body.format(marks=", ".join([mark] * len(self.columns)))
        return sql.replace("IS DISTINCT FROM", "IS NOT") if paramstyle == "qmark" else sql

    def driver_values(self, source: str, records: list, sqlite: bool) -> tuple[list[list], dict[str, list], dict]:
        """Driver values column by column (in `columns` order), by name, and the times as epoch seconds (NaN:
        none), converted with numpy (per-value Python calls were the bottleneck). Times and days go as ISO text
        on both databases: on PostgreSQL, datetime objects cost ~3 µs a dossier more to pickle from a preparing
        process, and to copy (issue 3)."""
        columns = list(zip(*map(self.get, records)))
        stamps = {}
        for i, field in enumerate(self.fields):
            if field.endswith("_at"):
                stamps[field] = _epoch_seconds(columns[i])
                columns[i] = _iso(stamps[field], "us", zone=not sqlite)
            elif field == "status":
                columns[i] = [v.value for v in columns[i]]
            elif field == "day":
                columns[i] = [v.isoformat() for v in columns[i]]
        days = []
        for source_field in self.days.values():
            days.append(_iso(stamps[source_field] + LOCAL_OFFSET_S, "D"))
        by_name = dict(zip(self.fields, columns)) | dict(zip(self.day_columns, days))
        return [[source] * len(records), *columns, *days], by_name, stamps


_DOSSIER_FIELDS = ("dossier_id", "unit_code", "procedure_code", "procedure_name", "sector", "channel",
                   "full_process_online", "received_at", "due_at", "completed_at", "status", "supplement_requests",
                   "fee_bearing", "paid_online", "e_result", "digitised", "data_reused", "accepted_late", "updated_at")
_TICKET_FIELDS = ("ticket_id", "channel", "category", "unit_code", "lat", "long", "handling_unit", "received_at",
                  "due_at", "closed_at", "status", "reopened", "rating", "updated_at")
UPSERTS = {
    RecordKind.dossier: _Upsert(dossiers, ("source", "dossier_id"), _DOSSIER_FIELDS,
                                {"received_day": "received_at", "due_day": "due_at", "completed_day": "completed_at"},
                                versioned=True),
    RecordKind.ticket: _Upsert(tickets, ("source", "ticket_id"), _TICKET_FIELDS,
                               {"received_day": "received_at", "closed_day": "closed_at"}, versioned=True),
    RecordKind.document_count: _Upsert(document_counts, ("source", "unit_code", "day", "direction"),
                                       ("unit_code", "day", "direction", "total", "electronic", "digitally_signed"),
                                       {}, versioned=False),
}
# The days a record counts on in the rollups (received, ended): a new version may move them.
ROLLUP_DAYS = {RecordKind.dossier: ("received_day", "completed_day"), RecordKind.ticket: ("received_day", "closed_day")}


def _previous_days(conn: Connection, upsert: _Upsert, source: str, ids: list[str]) -> set[date]:
    """The rollup days the stored versions of `ids` count on (a new version may move them).

    One parameter for all the ids (a JSON array on SQLite, an array on PostgreSQL): an IN list of
    thousands of bound parameters cost more to compile than the lookup itself."""
    table, id_col = upsert.table.name, upsert.key[1]
    cols = ", ".join(ROLLUP_DAYS[RecordKind.dossier if upsert.table is dossiers else RecordKind.ticket])
    sqlite = conn.dialect.name == "sqlite"
    sql = (f"SELECT DISTINCT {cols} FROM {table} WHERE source = ? AND {id_col} IN (SELECT value FROM json_each(?))"
           if sqlite else f"SELECT DISTINCT {cols} FROM {table} WHERE source = %s AND {id_col} = ANY(%s)")
    days: set[date] = set()
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            cursor.execute(sql, (source, json.dumps(chunk) if sqlite else list(chunk)))
            for row in cursor.fetchall():
                days.update(date.fromisoformat(d) if isinstance(d, str) else d for d in row if d is not None)
    finally:
        cursor.close()
    return days


@dataclass
class Prepared:
    """Validated records as driver rows, with what the store needs to know about them.

    Preparing needs no database, so a backfill can prepare in another process while this one writes.
    """

    kind: RecordKind
    rows: list[tuple]  # empty when the rows come as `copy_text`
    ids: list[str]
    days: set[date]  # the days the new versions count on in the rollups
    # Dossiers with distinct ids: their own daily rollup rows, added as they are when none was stored yet.
    contributions: dict | None = None
    inserted_as_new: bool = False  # set by store_prepared: every row was new (inserted as the floor does)
    copy_text: bytes | None = None  # PostgreSQL, dossiers with distinct ids: the rows as COPY text (copy_text())

    @property
    def size(self) -> int:
        return len(self.ids) if self.copy_text is not None else len(self.rows)


def prepare(source: str, kind: RecordKind, records: list, sqlite: bool, as_copy_text: bool = False) -> Prepared:
    """`as_copy_text` (PostgreSQL; a batch prepared in another process): dossiers with distinct ids come as COPY
    text instead of driver rows, which cost more to pickle and to write row by row."""
    upsert = UPSERTS[kind]
    if not records:
        return Prepared(kind, [], [], set())
    values, columns, stamps = upsert.driver_values(source, records, sqlite)
    days: set[date] = set()
    ids: list[str] = []
    contributions = None
    if kind in ROLLUP_DAYS:
        ids = list(columns[upsert.key[1]])
        for name in ROLLUP_DAYS[kind]:
            days.update(date.fromisoformat(v) if isinstance(v, str) else v for v in set(columns[name]) - {None})
    if kind is RecordKind.dossier and len(set(ids)) == len(ids):
        micro = {name: np.rint(stamps[name] * 1e6) for name in ("received_at", "due_at", "completed_at")}
        local_days = {day: np.floor((stamps[at] + LOCAL_OFFSET_S) / 86400) for day, at in upsert.days.items()}
        contributions = rollups.dossier_contributions(columns, micro["received_at"], micro["due_at"],
                                                      micro["completed_at"], local_days)
        if as_copy_text and not sqlite:
            return Prepared(kind, [], ids, days, contributions, copy_text=copy_format.copy_text(values))
    return Prepared(kind, list(zip(*values)), ids, days, contributions)


def store_prepared(conn: Connection, source: str, prepared: Prepared,
                   deltas: bool = False, stages: dict | None = None,
                   pending: list | None = None, assume_new: bool = False) -> tuple[int, set[date]]:
    """Upsert prepared rows; returns (rows inserted or replaced, days whose rollups changed).

    Without `deltas` the caller recomputes the returned days' rollups (store.rollups.refresh). With
    `deltas` the batch's own change to the daily rollups is applied here, in the same transaction, so the
    daily rollups never disagree with the committed records; the stocks and months of the returned days
    are left to store.rollups.refresh_stocks. `stages` gets the seconds the deltas took ("deltas"). With
    `pending`, a batch's own rollup rows are appended there instead, for the caller to add (summed with other
    batches', rollups.merge_contributions) before it commits. The records the batch newly holds are added to
    its source's counts in source_states (`_count_held`, issue 8).

    `assume_new` (a backfill, while its batches keep being new): a batch that can be inserted as new is
    inserted without first looking its ids up; a duplicate key undoes that (to a savepoint) and the batch
    takes the usual path. `prepared.inserted_as_new` says which it was."""
    prepared.inserted_as_new = False
    if not prepared.size:
        return 0, set()
    _claim_source(conn, source)
    upsert = UPSERTS[prepared.kind]
    kind = prepared.kind.value
    deltas = deltas and prepared.kind in ROLLUP_DAYS
    touched = set(prepared.days)
    if deltas and assume_new and prepared.contributions is not None:
        if _try_insert_new(conn, upsert, prepared):
            prepared.inserted_as_new = True
            _count_held(conn, source, upsert, prepared, "new")
            return prepared.size, touched | _own_rollups(conn, prepared, pending)
    if deltas:
        started = time.perf_counter()
        before = rollups.capture_versions(conn, kind, source, prepared.ids, -1)
        replaced = before > 0
        spent = time.perf_counter() - started
    else:
        if prepared.kind in ROLLUP_DAYS:
            touched |= _previous_days(conn, upsert, source, prepared.ids)
        _count_held(conn, source, upsert, prepared, "before")
    # None of the ids is stored (looked up in this transaction) and none repeats (contributions are only made
    # then): every row is new, so it is inserted as the floor does. Should another writer store one of these
    # ids meanwhile, the unique key refuses the insert and the pull fails, to be done again; nothing is lost.
    all_new = deltas and not replaced and prepared.contributions is not None
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if all_new:
            stored = _insert_new(cursor, upsert, prepared, conn.dialect.name == "postgresql")
        elif conn.dialect.name == "postgresql" and prepared.ids and len(set(prepared.ids)) == len(prepared.ids):
            stored = _copy_upsert(cursor, upsert, prepared)
        else:
            sql = upsert.sql(conn.dialect.paramstyle)
            stored = 0
            for i in range(0, len(prepared.rows), CHUNK):
                cursor.executemany(sql, prepared.rows[i:i + CHUNK])
                stored += max(cursor.rowcount, 0)  # both drivers sum the rows changed over the batch
    finally:
        cursor.close()
    if all_new:
        prepared.inserted_as_new = True
        _count_held(conn, source, upsert, prepared, "new")
    elif not deltas and upsert.table is tickets:
        _count_held(conn, source, upsert, prepared, "after")
    if deltas:
        started = time.perf_counter()
        if all_new:
            touched |= _own_rollups(conn, prepared, pending)
        else:
            after = rollups.capture_versions(conn, kind, source, prepared.ids, 1)
            _count_held(conn, source, upsert, prepared, "captured", after - before)  # before the deltas are cleared
            touched |= rollups.apply_deltas(conn, kind, replaced)
        if stages is not None:
            stages["deltas"] = stages.get("deltas", 0.0) + spent + time.perf_counter() - started
    return stored, touched


def _own_rollups(conn: Connection, prepared: Prepared, pending: list | None) -> set[date]:
    """A batch inserted as new: its own rollup rows are its whole delta, kept for the caller to add with other
    batches' (`pending`) or added now; the days they count on."""
    if pending is not None:
        pending.append(prepared.contributions)
        return set()
    return rollups.add_contributions(conn, prepared.contributions)


def _claim_source(conn: Connection, source: str) -> None:
    """Hold the source's source_states row until the transaction ends, before reading its stored versions: two
    pulls of one source at once (the scheduler's and a `cli.py ingest --once`) then write one after the other.
    Interleaved, each took the stored versions as they were before the other's write, and the rollups and
    counts drifted (PostgreSQL), or the later one failed on a stale snapshot (SQLite)."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"UPDATE source_states SET records_held = records_held WHERE source = {mark}", (source,))
        if cursor.rowcount != 1:  # pipeline._start_run adds the row: writing without it would lose the count
            raise LookupError(f"no source_states row for source {source!r}: its records cannot be counted")
    finally:
        cursor.close()


def _count_held(conn: Connection, source: str, upsert: _Upsert, prepared: Prepared, step: str,
                inserted: int = 0) -> None:
    """Add the batch's change in records held (and tickets without a commune) to its source_states row: one
    UPDATE in the batch's transaction, so the counts never disagree with the committed records (issue 8: the
    sources page counted them with count(*) on view). A newer version replacing an older one adds nothing.
    `step`: "new" (every row inserted), "captured" (deltas: `inserted` = stored versions after minus before;
    tickets from the captured signs), "before" / "after" the upsert without deltas (the batch's keys looked up)."""
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    tickets_kind = upsert.table is tickets
    held, unassigned, params = None, None, []
    if step == "new":
        held, params = mark, [prepared.size]
        if tickets_kind:
            at = upsert.columns.index("unit_code")
            unassigned = mark
            params.append(sum(1 for row in prepared.rows if row[at] is None))
    elif step == "captured":
        held, params = mark, [inserted]
        if tickets_kind:
            unassigned = rollups.captured_sum("ticket", "unit_code IS NULL")
    else:
        keys, key_params = _batch_keys(upsert, prepared, sqlite)
        among = _stored_among(upsert, sqlite)
        if step == "before":
            held, params = f"{mark} - ({among})", [len(keys), *key_params, source]
        if tickets_kind:
            unassigned = f"{'-' if step == 'before' else ''}({among} AND unit_code IS NULL)"
            params += [*key_params, source]
    sets = ([f"records_held = records_held + {held}"] if held else []) + \
        ([f"unassigned_tickets = unassigned_tickets + {unassigned}"] if unassigned else [])
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"UPDATE source_states SET {', '.join(sets)} WHERE source = {mark}", (*params, source))
    finally:
        cursor.close()


def recount_held(conn: Connection) -> None:
    """Every source's records held and tickets without a commune from exact counts, one per source and table:
    migration 0008, and stores written in bulk around store_prepared (bench/kpis.py)."""
    held = " + ".join(f"(SELECT count(*) FROM {t} WHERE {t}.source = source_states.source)"
                      for t in ("dossiers", "tickets", "document_counts"))
    conn.execute(text(f"UPDATE source_states SET records_held = {held}, unassigned_tickets = (SELECT count(*) "
                      "FROM tickets WHERE tickets.source = source_states.source AND tickets.unit_code IS NULL)"))


def _batch_keys(upsert: _Upsert, prepared: Prepared, sqlite: bool) -> tuple[set, list]:
    """The batch's distinct keys (within the source) and the parameters `_stored_among` binds for them."""
    if upsert.table is document_counts:  # rows begin (source, unit_code, day, direction)
        keys = {row[1:4] for row in prepared.rows}
        return keys, ([json.dumps([list(k) for k in keys])] if sqlite else [list(c) for c in zip(*keys)])
    keys = set(prepared.ids)
    return keys, [json.dumps(list(keys)) if sqlite else list(keys)]


def _stored_among(upsert: _Upsert, sqlite: bool) -> str:
    """SQL counting the stored rows of a batch's keys (key parameters first, then the source), through the
    unique key's index: one parameter for all the keys, as in `_previous_days`."""
    if upsert.table is not document_counts:
        id_col = upsert.key[1]
        return (f"SELECT count(*) FROM {upsert.table.name} WHERE "
                + (f"{id_col} IN (SELECT value FROM json_each(?)) AND source = ?" if sqlite else
                   f"{id_col} = ANY(%s) AND source = %s"))
    if sqlite:
        # CROSS JOIN: SQLite then reads the keys first and looks each up (else it may scan the source's rows)
        return ("SELECT count(*) FROM json_each(?) k CROSS JOIN document_counts d ON d.source = ? AND "
                "d.unit_code = json_extract(k.value, '$[0]') AND d.day = json_extract(k.value, '$[1]') AND "
                "d.direction = json_extract(k.value, '$[2]')")
    return ("SELECT count(*) FROM unnest(%s::text[], %s::date[], %s::text[]) AS k(unit_code, day, direction) "
            "JOIN document_counts d ON (d.unit_code, d.day, d.direction) = (k.unit_code, k.day, k.direction) "
            "WHERE d.source = %s")


def _try_insert_new(conn: Connection, upsert: _Upsert, prepared: Prepared) -> bool:
    """Insert rows believed new; False, with nothing inserted, when one of their keys is already stored."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and not raw.in_transaction:
        raw.execute("BEGIN")  # else the savepoint would open the transaction and its release commit it
    cursor = raw.cursor()
    try:
        cursor.execute("SAVEPOINT new_rows")
        try:
            _insert_new(cursor, upsert, prepared, conn.dialect.name == "postgresql")
            inserted = True
        except conn.dialect.dbapi.IntegrityError:
            cursor.execute("ROLLBACK TO SAVEPOINT new_rows")
            inserted = False
        cursor.execute("RELEASE SAVEPOINT new_rows")
        return inserted
    finally:
        cursor.close()


def _insert_new(cursor, upsert: _Upsert, prepared: Prepared, postgresql: bool) -> int:
    """Rows known to be new: PostgreSQL `COPY` straight into the table; SQLite a plain INSERT."""
    columns = ", ".join(upsert.columns)
    if postgresql:
        _copy(cursor, f"COPY {upsert.table.name} ({columns}) FROM STDIN", prepared)
        return prepared.size
    cursor.executemany(f"INSERT INTO {upsert.table.name} ({columns}) VALUES ({', '.join(['?'] * len(upsert.columns))})",
                       prepared.rows)
    return prepared.size


def _copy(cursor, statement: str, prepared: Prepared) -> None:
    with cursor.copy(statement) as copy:
        if prepared.copy_text is not None:
            copy_format.write(copy, prepared.copy_text)
        else:
            for row in prepared.rows:
                copy.write_row(row)


def _copy_upsert(cursor, upsert: _Upsert, prepared: Prepared) -> int:
    """PostgreSQL: COPY into a temporary staging table, then one INSERT … SELECT with the same ON CONFLICT
    guard as the row-by-row upsert (one statement, not one per row). Only for batches whose ids are
    distinct: one statement cannot update a row twice, and the rows-stored count must match row by row."""
    stage = f"stage_{upsert.table.name}"
    columns = ", ".join(upsert.columns)
    # Every time: a batch that rolled back took the table it created with it.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                   f"SELECT {columns} FROM {upsert.table.name} WITH NO DATA")
    cursor.execute(f"TRUNCATE {stage}")  # an earlier batch of this transaction: re-applying it is only waste
    _copy(cursor, f"COPY {stage} ({columns}) FROM STDIN", prepared)
    cursor.execute(upsert.sql_body.replace("VALUES ({marks})", f"SELECT {columns} FROM {stage}"))
    return max(cursor.rowcount, 0)


def store_records(conn: Connection, source: str, kind: RecordKind, records: list) -> tuple[int, set[date]]:
    """Prepare and upsert validated records in one go."""
    return store_prepared(conn, source, prepare(source, kind, records, conn.dialect.name == "sqlite"))


def quarantine_rows(conn: Connection, source: str, run_id: int, kind: RecordKind,
                    rejected: list[tuple[object, str]]) -> int:
    if not rejected:
        return 0
    at = now()
    rows = [{"source": source, "run_id": run_id, "record_kind": kind.value, "reason": reason,
             "raw": json.dumps(raw, ensure_ascii=False, default=str, sort_keys=True), "quarantined_at": at}
            for raw, reason in rejected]
    conn.execute(quarantine.insert(), rows)
    return len(rows)


def bump_data_version(conn: Connection) -> int:
    conn.execute(update(data_version).where(data_version.c.id == 1)
                 .values(version=data_version.c.version + 1, changed_at=now()))
    return conn.execute(select(data_version.c.version).where(data_version.c.id == 1)).scalar_one()


def current_data_version(conn: Connection) -> tuple[int, datetime | None]:
    row = conn.execute(select(data_version.c.version, data_version.c.changed_at)
                       .where(data_version.c.id == 1)).one()
    return row.version, row.changed_at
