"""Daily rollups (what metrics/ reads; never raw records), kept in step with the records.

Every rollup row is keyed by the day an event happened on: a dossier is counted on its received day and
on the day it ended, a ticket on its received and closed days. Those are exactly the days the store reports
as touched (old and new version), so deleting and recomputing these days' rows is exact (`refresh`,
`rebuild_all`). A pull instead adds each batch's own change in the batch's transaction (deltas: the stored
versions it replaced counted -1, the versions now stored +1; see "Deltas" below), which costs in proportion
to the batch, not to the records of the days it touched.

The backlog (open and overdue at the end of a day) is a stock, not a flow. It is kept dense per unit and
day from the flows: open(E) = open(E-1) + received(E) - ended(E); overdue(E) adds the records whose
"late day" (the due day, or the received day when more than one supplement was requested) has come, and
removes those that ended: a record counts toward overdue(E) when max(late day, event day) <= E. The late
day is stored as an attribute of the flow rows (keyed by the event day), so a new version that moves the
due date is still recomputed exactly. The backlog is rebuilt from the earliest touched day on
(`refresh_stocks`: after a recompute, and during and at the end of a pull).

The monthly rollups (per unit and calendar month, what the KPI frame reads for whole months) are summed
from the daily ones for the months of the touched days, after those days were recomputed.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, Table, bindparam, func, select, text, union_all

from metrics.calendar import working_day_numbers
from metrics.rules import rule
from store import copy_format
from store.schema import (calendar_days, dossier_backlog_daily, dossier_daily, dossier_due_flow,
                          dossier_duration_daily, dossier_duration_monthly, dossier_unit_daily, dossier_unit_monthly,
                          ticket_backlog_daily, ticket_daily, ticket_due_flow, ticket_unit_daily, ticket_unit_monthly)

DAYS_PER_STATEMENT = 60
# The calendar table covers the touched days this far either side (a dossier ended today may have been
# received long ago; one received before the covered range has no duration rather than a wrong one).
CALENDAR_MARGIN = timedelta(days=2 * 366)

# On time by the portal's rule (KPIS.md §3): ended by the appointment time; more than one supplement
# request counts as late. Early: ended on a day before the appointment day.
_ON_TIME = "completed_at <= due_at AND supplement_requests <= :max_supplements"

_DOSSIER_SQL = f"""
INSERT INTO dossier_daily (unit_code, day, sector, received, received_online, received_full_online,
                           completed, completed_early, completed_on_time, completed_late)
SELECT unit_code, day, sector, SUM(received), SUM(received_online), SUM(received_full_online),
       SUM(completed), SUM(completed_early), SUM(completed_on_time), SUM(completed_late)
FROM (
    SELECT unit_code, received_day AS day, sector, {{one}} AS received,
           CASE WHEN channel = 'online' THEN {{one}} ELSE 0 END AS received_online,
           CASE WHEN full_process_online THEN {{one}} ELSE 0 END AS received_full_online,
           0 AS completed, 0 AS completed_early, 0 AS completed_on_time, 0 AS completed_late
    FROM {{src}} WHERE {{received_in}}
    UNION ALL
    SELECT unit_code, completed_day AS day, sector, 0, 0, 0, {{one}},
           CASE WHEN {_ON_TIME} AND completed_day < due_day THEN {{one}} ELSE 0 END,
           CASE WHEN {_ON_TIME} AND completed_day >= due_day THEN {{one}} ELSE 0 END,
           CASE WHEN {_ON_TIME} THEN 0 ELSE {{one}} END
    FROM {{src}} WHERE {{completed_in}}
) AS events WHERE true
GROUP BY unit_code, day, sector
"""

_DOSSIER_UNIT_SQL = f"""
INSERT INTO dossier_unit_daily (unit_code, day, received, received_online, received_full_online,
    received_fee_bearing, received_paid_online, received_digitised, received_data_reused, received_accepted_late,
    completed, completed_early, completed_on_time, completed_late, completed_processed, completed_e_result,
    completed_working_days, completed_timed)
SELECT unit_code, day, SUM(r), SUM(r_online), SUM(r_full), SUM(r_fee), SUM(r_paid), SUM(r_digitised), SUM(r_reused),
       SUM(r_late_intake), SUM(c), SUM(c_early), SUM(c_on_time), SUM(c_late), SUM(c_processed), SUM(c_e_result),
       SUM(c_working_days), SUM(c_timed)
FROM (
    SELECT unit_code, received_day AS day, {{one}} AS r,
           CASE WHEN channel = 'online' THEN {{one}} ELSE 0 END AS r_online,
           CASE WHEN full_process_online THEN {{one}} ELSE 0 END AS r_full,
           CASE WHEN fee_bearing THEN {{one}} ELSE 0 END AS r_fee,
           CASE WHEN fee_bearing AND paid_online THEN {{one}} ELSE 0 END AS r_paid,
           CASE WHEN digitised THEN {{one}} ELSE 0 END AS r_digitised,
           CASE WHEN data_reused THEN {{one}} ELSE 0 END AS r_reused,
           CASE WHEN channel = 'online' AND accepted_late THEN {{one}} ELSE 0 END AS r_late_intake,
           0 AS c, 0 AS c_early, 0 AS c_on_time, 0 AS c_late, 0 AS c_processed, 0 AS c_e_result,
           0 AS c_working_days, 0 AS c_timed
    FROM {{src}} WHERE {{received_in}}
    UNION ALL
    SELECT d.unit_code, d.completed_day, 0, 0, 0, 0, 0, 0, 0, 0, {{one}},
           CASE WHEN {_ON_TIME} AND completed_day < due_day THEN {{one}} ELSE 0 END,
           CASE WHEN {_ON_TIME} AND completed_day >= due_day THEN {{one}} ELSE 0 END,
           CASE WHEN {_ON_TIME} THEN 0 ELSE {{one}} END,
           CASE WHEN status IN ('completed', 'returned') THEN {{one}} ELSE 0 END,
           CASE WHEN status IN ('completed', 'returned') AND e_result THEN {{one}} ELSE 0 END,
           {{one}} * COALESCE(cc.working_day_number - cr.working_day_number, 0),
           CASE WHEN cc.working_day_number IS NULL OR cr.working_day_number IS NULL THEN 0 ELSE {{one}} END
    FROM {{src}} d
    LEFT JOIN calendar_days cr ON cr.day = d.received_day
    LEFT JOIN calendar_days cc ON cc.day = d.completed_day
    WHERE d.{{completed_in}}
) AS events WHERE true
GROUP BY unit_code, day
"""

_DURATION_SQL = """
INSERT INTO dossier_duration_daily (unit_code, day, working_days, completed)
SELECT d.unit_code, d.completed_day, cc.working_day_number - cr.working_day_number, SUM({one})
FROM {src} d
JOIN calendar_days cr ON cr.day = d.received_day
JOIN calendar_days cc ON cc.day = d.completed_day
WHERE d.{completed_in}
GROUP BY d.unit_code, d.completed_day, cc.working_day_number - cr.working_day_number
"""

_LATE_DAY = "CASE WHEN supplement_requests > :max_supplements THEN received_day ELSE due_day END"
_DOSSIER_FLOW_SQL = f"""
INSERT INTO dossier_due_flow (unit_code, day, late_day, opened, closed)
SELECT unit_code, day, late_day, SUM(opened), SUM(closed)
FROM (
    SELECT unit_code, received_day AS day, {_LATE_DAY} AS late_day, {{one}} AS opened, 0 AS closed
    FROM {{src}} WHERE {{received_in}}
    UNION ALL
    SELECT unit_code, completed_day, {_LATE_DAY}, 0, {{one}}
    FROM {{src}} WHERE {{completed_in}}
) AS events WHERE true
GROUP BY unit_code, day, late_day
"""

_TICKET_SQL = """
INSERT INTO ticket_daily (unit_code, day, category, received, closed, closed_on_time, reopened)
SELECT unit_code, day, category, SUM(received), SUM(closed), SUM(closed_on_time), SUM(reopened)
FROM (
    SELECT COALESCE(unit_code, '') AS unit_code, received_day AS day, category, {one} AS received, 0 AS closed,
           0 AS closed_on_time, CASE WHEN reopened THEN {one} ELSE 0 END AS reopened
    FROM {src} WHERE {received_in}
    UNION ALL
    SELECT COALESCE(unit_code, ''), closed_day, category, 0, {one},
           CASE WHEN closed_at <= due_at THEN {one} ELSE 0 END, 0
    FROM {src} WHERE {closed_in}
) AS events WHERE true
GROUP BY unit_code, day, category
"""

# Satisfaction (QĐ 766 indicator 5.3) counts a closed ticket once if it was reopened, rated negative or late.
_NEGATIVE = "COALESCE(rating, :negative_rating_max + 1) <= :negative_rating_max"
_TICKET_UNIT_SQL = f"""
INSERT INTO ticket_unit_daily (unit_code, day, received, closed, closed_on_time, closed_reopened,
                               closed_rated_negative, closed_unsatisfactory)
SELECT unit_code, day, SUM(received), SUM(closed), SUM(closed_on_time), SUM(closed_reopened),
       SUM(closed_rated_negative), SUM(closed_unsatisfactory)
FROM (
    SELECT COALESCE(unit_code, '') AS unit_code, received_day AS day, {{one}} AS received, 0 AS closed,
           0 AS closed_on_time, 0 AS closed_reopened, 0 AS closed_rated_negative, 0 AS closed_unsatisfactory
    FROM {{src}} WHERE {{received_in}}
    UNION ALL
    SELECT COALESCE(unit_code, ''), closed_day, 0, {{one}},
           CASE WHEN closed_at <= due_at THEN {{one}} ELSE 0 END,
           CASE WHEN reopened THEN {{one}} ELSE 0 END,
           CASE WHEN {_NEGATIVE} THEN {{one}} ELSE 0 END,
           CASE WHEN reopened OR {_NEGATIVE} OR closed_at > due_at THEN {{one}} ELSE 0 END
    FROM {{src}} WHERE {{closed_in}}
) AS events WHERE true
GROUP BY unit_code, day
"""


def _ticket_late_day(dialect: str) -> str:
    """The local (Asia/Ho_Chi_Minh, UTC+7 all year) day of a ticket's due time; tickets carry no due_day column."""
    if dialect == "sqlite":
        return "date(due_at, '+7 hours')"
    return "CAST((due_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)"


def _ticket_flow_sql(dialect: str) -> str:
    late = _ticket_late_day(dialect)
    return f"""
INSERT INTO ticket_due_flow (unit_code, day, late_day, opened, closed)
SELECT unit_code, day, late_day, SUM(opened), SUM(closed)
FROM (
    SELECT COALESCE(unit_code, '') AS unit_code, received_day AS day, {late} AS late_day, {{one}} AS opened,
           0 AS closed
    FROM {{src}} WHERE {{received_in}}
    UNION ALL
    SELECT COALESCE(unit_code, ''), closed_day, {late}, 0, {{one}}
    FROM {{src}} WHERE {{closed_in}}
) AS events WHERE true
GROUP BY unit_code, day, late_day
"""


def sync_calendar(conn: Connection, start: date, end: date) -> None:
    """Make calendar_days cover [start, end] (from metrics.calendar, the one source of working days), in whole
    years: a backfill's groups each reached a few days further, and each rebuilt the table (issue 3)."""
    lo, hi = conn.execute(select(func.min(calendar_days.c.day), func.max(calendar_days.c.day))).one()
    if lo is not None and lo <= start and hi >= end:
        return
    start, end = date(start.year, 1, 1), date(end.year, 12, 31)
    lo, hi = min(start, lo or start), max(end, hi or end)
    conn.execute(calendar_days.delete())
    conn.execute(calendar_days.insert(), [{"day": d, "working": w, "working_day_number": n}
                                          for d, w, n in working_day_numbers(lo, hi)])


def _params() -> dict:
    return {"max_supplements": rule("late_supplement_requests"), "negative_rating_max": rule("negative_rating_max")}


def _recompute_days(conn: Connection, statements: list[tuple[Table, object]], days: set[date]) -> None:
    ordered = sorted(days)
    params = _params()
    for i in range(0, len(ordered), DAYS_PER_STATEMENT):
        chunk = ordered[i:i + DAYS_PER_STATEMENT]
        for table, sql in statements:
            conn.execute(table.delete().where(table.c.day.in_(chunk)))
            used = {k: v for k, v in params.items() if f":{k}" in sql.text}
            conn.execute(sql, {"days": chunk, **used})


_DOSSIER_TABLES = ((dossier_daily, _DOSSIER_SQL), (dossier_unit_daily, _DOSSIER_UNIT_SQL),
                   (dossier_duration_daily, _DURATION_SQL), (dossier_due_flow, _DOSSIER_FLOW_SQL))
# Each statement above is a template over its records ({src}), the weight of one record ({one}) and
# which records count on a received or ended day: recomputing days reads the records of those days.
_RECOMPUTE = {"one": "1", "received_in": "received_day IN :days", "completed_in": "completed_day IN :days",
              "closed_in": "closed_day IN :days"}


def _templates(kind: str, dialect: str) -> list[tuple[Table, str]]:
    if kind == "dossier":
        return list(_DOSSIER_TABLES)
    return [(ticket_daily, _TICKET_SQL), (ticket_unit_daily, _TICKET_UNIT_SQL), (ticket_due_flow, _ticket_flow_sql(dialect))]


def _recompute_statements(kind: str, dialect: str) -> list[tuple[Table, object]]:
    src = "dossiers" if kind == "dossier" else "tickets"
    return [(table, text(sql.format(src=src, **_RECOMPUTE)).bindparams(bindparam("days", expanding=True)))
            for table, sql in _templates(kind, dialect)]


def _recompute_dossier_days(conn: Connection, days: set[date]) -> None:
    # Four aggregations straight from the records' day indexes. Copying the touched records to a
    # temporary table first to read them once was measured slower (8.2 s against 7.9 s for 22 city days).
    _recompute_days(conn, _recompute_statements("dossier", conn.dialect.name), days)


# ---- Deltas: a batch's own change to the daily rollups, applied in the batch's transaction.
# Recomputing the touched days reads every record of those days again: on a backfill, where every batch
# touches weeks of days, that was half a million-record pull's time. Instead the stored versions of the
# batch's ids are copied before the upsert with weight -1 and after it with weight +1 (a version the upsert
# kept counts -1 +1 = 0), the same statements sum that small table, and the sums are added to the daily
# rows. Rows left with no event (a version moved away from that day) are deleted, as a recompute would.
# The stocks (backlog) and months, derived from the daily rows, are refreshed by `refresh_stocks`.
_DELTA_COLUMNS = {
    "dossier": ("unit_code", "sector", "channel", "full_process_online", "fee_bearing", "paid_online", "digitised",
                "data_reused", "accepted_late", "received_at", "due_at", "completed_at", "status",
                "supplement_requests", "e_result", "received_day", "due_day", "completed_day"),
    "ticket": ("unit_code", "category", "received_at", "due_at", "closed_at", "reopened", "rating",
               "received_day", "closed_day"),
}
_DELTA = {"one": "sign", "received_in": "true", "completed_in": "completed_day IS NOT NULL",
          "closed_in": "closed_day IS NOT NULL"}
# A daily row whose event counts are all zero has no event left: a recompute would not have it.
_EVENTS = {"dossier_daily": ("received", "completed"), "dossier_unit_daily": ("received", "completed"),
           "dossier_duration_daily": ("completed",), "dossier_due_flow": ("opened", "closed"),
           "ticket_daily": ("received", "closed"), "ticket_unit_daily": ("received", "closed"),
           "ticket_due_flow": ("opened", "closed")}
_ENDED_DAY = {"dossier": "completed_day", "ticket": "closed_day"}


def _delta_table(kind: str) -> str:
    return f"rollup_delta_{kind}"


def capture_versions(conn: Connection, kind: str, source: str, ids: list[str], sign: int) -> int:
    """Copy the stored versions of `ids` into the batch's delta table with weight `sign`; returns how many.

    Called with -1 before the upsert and +1 after it, in the same transaction."""
    records, id_col = ("dossiers", "dossier_id") if kind == "dossier" else ("tickets", "ticket_id")
    delta, columns = _delta_table(kind), ", ".join(_DELTA_COLUMNS[kind])
    sqlite = conn.dialect.name == "sqlite"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        # Every time: a batch that rolled back took a table created in it along.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {delta} AS SELECT 0 AS sign, {columns} FROM {records} LIMIT 0"
                       if sqlite else
                       f"CREATE TEMP TABLE IF NOT EXISTS {delta} AS SELECT 0 AS sign, {columns} FROM {records} "
                       "WITH NO DATA")
        sql = (f"INSERT INTO {delta} (sign, {columns}) SELECT {sign}, {columns} FROM {records} WHERE source = "
               + (f"? AND {id_col} IN (SELECT value FROM json_each(?))" if sqlite else f"%s AND {id_col} = ANY(%s)"))
        cursor.execute(sql, (source, json.dumps(ids) if sqlite else list(ids)))
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


def captured_sum(kind: str, where: str) -> str:
    """SQL summing the signs of the captured versions matching `where`: the batch's net change in such records."""
    return f"(SELECT COALESCE(SUM(sign), 0) FROM {_delta_table(kind)} WHERE {where})"


@lru_cache(maxsize=8)
def _delta_statements(kind: str, dialect: str) -> list[tuple[Table, object, object]]:
    """(daily table, add the delta's sums, delete the rows left without events) per daily table."""
    out = []
    for table, template in _templates(kind, dialect):
        keys = [c.name for c in table.primary_key.columns]
        sums = [c.name for c in table.c if c.name not in keys]
        inserted = [c.strip() for c in template.split("(", 1)[1].split(")", 1)[0].split(",")]
        add = (template.format(src=_delta_table(kind), **_DELTA).rstrip()  # keys by position: joins have a `day`
               + f"\nORDER BY {', '.join(str(inserted.index(k) + 1) for k in keys)}"  # add_contributions' lock order
               + f"\nON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
               + ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in sums))
        empty = " AND ".join(f"{c} = 0" for c in _EVENTS[table.name])
        out.append((table, text(add),
                    text(f"DELETE FROM {table.name} WHERE day IN :days AND {empty}")
                    .bindparams(bindparam("days", expanding=True))))
    return out


def apply_deltas(conn: Connection, kind: str, replaced: bool) -> set[date]:
    """Add the captured versions' weights to the daily rollups; returns the days they count on.

    `replaced`: some stored versions were captured with -1 (only then can a daily row lose its events)."""
    delta, ended = _delta_table(kind), _ENDED_DAY[kind]
    days: set[date] = set()
    for row in conn.exec_driver_sql(f"SELECT DISTINCT received_day, {ended} FROM {delta}"):
        days.update(date.fromisoformat(d) if isinstance(d, str) else d for d in row if d is not None)
    if days:
        sync_calendar(conn, min(days) - CALENDAR_MARGIN, max(days) + CALENDAR_MARGIN)
        params, ordered = _params(), sorted(days)
        for table, add, empty in _delta_statements(kind, conn.dialect.name):
            conn.execute(add, {k: v for k, v in params.items() if f":{k}" in add.text})
            if replaced:
                for i in range(0, len(ordered), DAYS_PER_STATEMENT):
                    conn.execute(empty, {"days": ordered[i:i + DAYS_PER_STATEMENT]})
    conn.exec_driver_sql(f"DELETE FROM {delta}")  # a later batch of this transaction starts empty
    return days


# ---- A batch of new dossiers' own rollup rows, computed where the batch is prepared (numpy, no database).
# When none of a batch's ids is stored yet (a backfill) and none repeats, every record is inserted, so its
# rollup rows are the batch's whole delta: the writer adds them without reading the records back. The
# rules are the SQL's above, written once more for arrays; tests check both against a recompute.
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=8)
def _working_day_numbers(first_year: int, last_year: int) -> np.ndarray:
    """Working-day numbers (as calendar_days holds them) of every day of these years, by day since 1970."""
    rows = working_day_numbers(date(first_year, 1, 1), date(last_year, 12, 31))
    return np.fromiter((n for _, _, n in rows), dtype=np.int64, count=len(rows))


def _group(keys: dict[str, np.ndarray], sums: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sums per distinct key, in numpy (a pandas groupby cost more in overhead than the work, per batch)."""
    combined = np.zeros(len(next(iter(keys.values()))), dtype=np.int64)
    for values in keys.values():
        codes, uniques = pd.factorize(values)
        combined = combined * max(len(uniques), 1) + codes
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    out = {k: v[first] for k, v in keys.items()}
    for k, v in sums.items():
        out[k] = np.bincount(inverse, weights=np.asarray(v, dtype=np.float64), minlength=len(first)).astype(np.int64)
    return pd.DataFrame(out)


def dossier_contributions(columns: dict, received_us: np.ndarray, due_us: np.ndarray, completed_us: np.ndarray,
                          days: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """Each dossier daily table's rows for a batch of new dossiers (keys and sums, days as days since 1970).

    `columns`: the records' driver values by field (writes._Upsert.driver_values: a status as its text); times
    in whole microseconds (NaN: none), as stored; `days`: received_day, due_day, completed_day as local days
    since 1970 (NaN: none)."""
    max_supplements = rule("late_supplement_requests")
    unit = np.asarray(columns["unit_code"], dtype=object)
    sector = np.asarray(columns["sector"], dtype=object)
    online = np.asarray(columns["channel"], dtype=object) == "online"
    flag = {name: np.asarray(columns[name], dtype=bool) for name in (
        "full_process_online", "fee_bearing", "paid_online", "digitised", "data_reused", "accepted_late", "e_result")}
    supplements = np.asarray(columns["supplement_requests"], dtype=np.int64)
    status = np.asarray(columns["status"], dtype=object)
    received_day, due_day, completed_day = days["received_day"], days["due_day"], days["completed_day"]
    ended = ~np.isnan(completed_day)
    rd = received_day.astype(np.int64)
    cd = np.where(ended, completed_day, 0).astype(np.int64)
    dd = due_day.astype(np.int64)
    with np.errstate(invalid="ignore"):
        on_time = ended & (completed_us <= due_us) & (supplements <= max_supplements)
    early, on_day, late = on_time & (cd < dd), on_time & (cd >= dd), ended & ~on_time
    processed = np.isin(status, ("completed", "returned"))
    late_day = np.where(supplements > max_supplements, rd, dd)

    e = ended
    lo, hi = int(rd.min()), int(max(rd.max(), cd[e].max() if e.any() else rd.max()))
    first = date.fromordinal(_EPOCH_ORDINAL + lo).year
    numbers = _working_day_numbers(first, date.fromordinal(_EPOCH_ORDINAL + hi).year)
    origin = date(first, 1, 1).toordinal() - _EPOCH_ORDINAL
    working_days = numbers[cd[e] - origin] - numbers[rd[e] - origin]
    zero, one = np.zeros(len(rd), dtype=np.int64), np.ones(len(rd), dtype=np.int64)
    ne = int(e.sum())
    zero_e, one_e = np.zeros(ne, dtype=np.int64), np.ones(ne, dtype=np.int64)

    def both(received: dict, completed: dict, sums: list[str], r_keys: dict, c_keys: dict) -> pd.DataFrame:
        """One row per key of the received-day events (first) and the ended-day events (second) together."""
        return _group({k: np.concatenate([r_keys[k], c_keys[k]]) for k in r_keys},
                      {k: np.concatenate([received.get(k, zero), completed.get(k, zero_e)]) for k in sums})

    daily = both({"received": one, "received_online": online, "received_full_online": flag["full_process_online"]},
                 {"completed": one_e, "completed_early": early[e], "completed_on_time": on_day[e],
                  "completed_late": late[e]},
                 ["received", "received_online", "received_full_online", "completed", "completed_early",
                  "completed_on_time", "completed_late"],
                 {"unit_code": unit, "day": rd, "sector": sector},
                 {"unit_code": unit[e], "day": cd[e], "sector": sector[e]})
    unit_daily = both(
        {"received": one, "received_online": online, "received_full_online": flag["full_process_online"],
         "received_fee_bearing": flag["fee_bearing"],
         "received_paid_online": flag["fee_bearing"] & flag["paid_online"],
         "received_digitised": flag["digitised"], "received_data_reused": flag["data_reused"],
         "received_accepted_late": online & flag["accepted_late"]},
        {"completed": one_e, "completed_early": early[e], "completed_on_time": on_day[e], "completed_late": late[e],
         "completed_processed": processed[e], "completed_e_result": processed[e] & flag["e_result"][e],
         "completed_working_days": working_days, "completed_timed": one_e},
        [c.name for c in dossier_unit_daily.c if c.name not in ("unit_code", "day")],
        {"unit_code": unit, "day": rd}, {"unit_code": unit[e], "day": cd[e]})
    duration = _group({"unit_code": unit[e], "day": cd[e], "working_days": working_days}, {"completed": one_e})
    flow = both({"opened": one}, {"closed": one_e}, ["opened", "closed"],
                {"unit_code": unit, "day": rd, "late_day": late_day},
                {"unit_code": unit[e], "day": cd[e], "late_day": late_day[e]})
    return {"dossier_daily": daily, "dossier_unit_daily": unit_daily, "dossier_duration_daily": duration,
            "dossier_due_flow": flow}


def merge_contributions(batches: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Several batches' own rollup rows summed: consecutive batches share most keys (fewer rows to upsert)."""
    if len(batches) == 1:
        return batches[0]
    out = {}
    for name, table in TABLES.items():
        keys = [c.name for c in table.primary_key.columns]
        out[name] = pd.concat([b[name] for b in batches], ignore_index=True) \
            .groupby(keys, sort=False, as_index=False).sum()
    return out


def add_contributions(conn: Connection, contributions: dict[str, pd.DataFrame]) -> set[date]:
    """Add a batch's own rollup rows (dossier_contributions) to the daily tables; returns their days."""
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    touched: set[int] = set()
    for frame in contributions.values():
        touched.update(frame["day"].tolist())
    days = {date.fromordinal(_EPOCH_ORDINAL + d) for d in touched}
    if days:
        sync_calendar(conn, min(days) - CALENDAR_MARGIN, max(days) + CALENDAR_MARGIN)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for name, frame in contributions.items():
            table = TABLES[name]
            keys = [c.name for c in table.primary_key.columns]
            sums = [c for c in frame.columns if c not in keys]
            columns = ", ".join(keys + sums)
            add = (f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                   + ", ".join(f"{c} = {name}.{c} + excluded.{c}" for c in sums))
            if sqlite:
                values = [_days_text(frame[c]) if c in _DAY_KEYS else frame[c].tolist()  # numpy integers → ints
                          for c in keys + sums]
                cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({', '.join([mark] * len(values))}) {add}",
                                   list(zip(*values)))
                continue
            # PostgreSQL: COPY into a staging table and one INSERT … SELECT (executemany was ~30 µs a row), the
            # rows formatted a column at a time (psycopg's write_row took 1.7 s a million dossiers, issue 3)
            stage = f"stage_{name}"
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                           f"SELECT {columns} FROM {name} WITH NO DATA")
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                copy_format.write(copy, copy_format.copy_text([_copy_column(frame[c]) for c in keys + sums]))
            # In key order: pulls of other sources add to the same rows, and all lock them in one order (a wait,
            # never a deadlock; tests/test_rollup_deltas.py).
            cursor.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {stage} ORDER BY {', '.join(keys)} "
                           f"{add}")
    finally:
        cursor.close()
    return days


_DAY_KEYS = ("day", "late_day")  # in the rows of dossier_contributions: days since 1970


def _days_text(values: pd.Series) -> list[str]:
    return np.datetime_as_string(values.to_numpy().astype("datetime64[D]")).tolist()


def _copy_column(values: pd.Series) -> list:
    """A rollup column as COPY text wants it: days and counts as their text."""
    if values.name in _DAY_KEYS:
        return _days_text(values)
    return values.to_numpy().astype(str).tolist() if values.dtype.kind in "iu" else values.tolist()


def refresh_stocks(conn: Connection, dossier_days: set[date], ticket_days: set[date]) -> None:
    """After deltas: the backlog from the earliest touched day on and the touched months, from the daily rows."""
    if dossier_days:
        refresh_backlog(conn, dossier_unit_daily, dossier_due_flow, dossier_backlog_daily, min(dossier_days))
        refresh_months(conn, "dossier", {month_start(d) for d in dossier_days})
    if ticket_days:
        refresh_backlog(conn, ticket_unit_daily, ticket_due_flow, ticket_backlog_daily, min(ticket_days))
        refresh_months(conn, "ticket", {month_start(d) for d in ticket_days})


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    # Plain tuples: given Row objects, pandas probes each for namedtuple fields (an exception per row; ~1 s of a
    # backfill's refresh over 88,000 flow rows, issue 3).
    return pd.DataFrame(list(map(tuple, conn.execute(query))), columns=columns)


def refresh_backlog(conn: Connection, flows: Table, flow: Table, backlog: Table, since: date) -> None:
    """Rebuild the dense backlog rows from `since` to the newest flow day (see the module docstring)."""
    newest = conn.execute(select(func.max(flows.c.day))).scalar()
    conn.execute(backlog.delete().where(backlog.c.day >= since))
    if newest is None or newest < since:
        return
    before = since - timedelta(days=1)
    prev = _frame(conn, select(backlog.c.unit_code, backlog.c.open, backlog.c.open_overdue)
                  .where(backlog.c.day == before), ["unit_code", "open", "open_overdue"]).set_index("unit_code")
    net = _frame(conn, select(flows.c.unit_code, flows.c.day, flows.c.received - flows.c[_CLOSED[flows.name]])
                 .where(flows.c.day.between(since, newest)), ["unit_code", "day", "net"])
    # Each flow row weighs on the backlog's overdue count from max(event day, late day) on.
    f = flow.c
    moved = union_all(
        select(f.unit_code, f.day, f.late_day, (f.opened - f.closed).label("w")).where(f.day >= since),
        select(f.unit_code, f.day, f.late_day, (f.opened - f.closed).label("w"))
        .where(f.day < since, f.late_day >= since))
    late = _frame(conn, moved, ["unit_code", "day", "late_day", "w"])
    late["day"] = np.maximum(_day64(late["day"]).to_numpy(), _day64(late["late_day"]).to_numpy())
    net["day"] = _day64(net["day"])
    late = late[late["day"] <= pd.Timestamp(newest)]

    units = sorted(set(prev.index) | set(net["unit_code"]) | set(late["unit_code"]))
    days = pd.date_range(since, newest, freq="D")
    grid = pd.MultiIndex.from_product([units, days], names=["unit_code", "day"])
    net_s = net.groupby(["unit_code", "day"])["net"].sum().reindex(grid, fill_value=0)
    late_s = late.groupby(["unit_code", "day"])["w"].sum().reindex(grid, fill_value=0)
    out = pd.DataFrame({"open": net_s.groupby(level=0).cumsum(), "open_overdue": late_s.groupby(level=0).cumsum()})
    out += prev.reindex(out.index.get_level_values(0)).fillna(0).to_numpy()
    # A unit's rows carry on from the day before `since`, or start at its first rollup row.
    first = pd.concat([net.groupby("unit_code")["day"].min(), late.groupby("unit_code")["day"].min()]) \
        .groupby(level=0).min()
    start = pd.Series({u: pd.Timestamp(since) if u in prev.index else first[u] for u in units})
    unit_of, day_of = out.index.get_level_values(0), out.index.get_level_values(1)
    out = out[day_of >= start.reindex(unit_of).to_numpy()].reset_index()
    if len(out):
        conn.execute(backlog.insert(), [
            {"unit_code": u, "day": d.date(), "open": int(o), "open_overdue": int(v)}
            for u, d, o, v in out[["unit_code", "day", "open", "open_overdue"]].itertuples(index=False)])


def _day64(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]")


TABLES = {t.name: t for t in (dossier_daily, dossier_unit_daily, dossier_duration_daily, dossier_due_flow)}
_CLOSED = {"dossier_unit_daily": "completed", "ticket_unit_daily": "closed"}


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _day_of_month(dialect: str) -> str:
    return "CAST(strftime('%d', day) AS INTEGER)" if dialect == "sqlite" else "CAST(EXTRACT(DAY FROM day) AS INTEGER)"


def _monthly_sql(monthly: Table, daily: Table, dialect: str):
    """Sum a month's daily rows per unit (and histogram bucket) into its monthly row."""
    keys = [c.name for c in daily.primary_key.columns if c.name not in ("unit_code", "day")]
    sums = [c.name for c in daily.c if c.name not in ("unit_code", "day", *keys)]
    columns, values = ["unit_code", "month", *keys, *sums], ["unit_code", ":month", *keys, *(f"SUM({c})" for c in sums)]
    if "received_days" in monthly.c:
        columns.append("received_days")
        values.append(f"SUM(CASE WHEN received > 0 THEN 1 << ({_day_of_month(dialect)} - 1) ELSE 0 END)")
    return text(f"INSERT INTO {monthly.name} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {daily.name} "
                f"WHERE day BETWEEN :first AND :last GROUP BY {', '.join(['unit_code', *keys])}").bindparams(
        bindparam("month", type_=Date), bindparam("first", type_=Date), bindparam("last", type_=Date))


MONTHLY = {"dossier": ((dossier_unit_monthly, dossier_unit_daily), (dossier_duration_monthly, dossier_duration_daily)),
           "ticket": ((ticket_unit_monthly, ticket_unit_daily),)}


def refresh_months(conn: Connection, kind: str, months: set[date]) -> None:
    """Recompute the monthly rows of these months (first days) from the daily rollups."""
    for monthly, daily in MONTHLY[kind]:
        sql = _monthly_sql(monthly, daily, conn.dialect.name)
        for month in sorted(months):
            conn.execute(monthly.delete().where(monthly.c.month == month))
            conn.execute(sql, {"month": month, "first": month, "last": month_end(month)})


def rebuild_months(conn: Connection) -> None:
    """Every monthly row from the daily rollups (migration 0004)."""
    for kind, pairs in MONTHLY.items():
        daily = pairs[0][1]
        lo, hi = conn.execute(select(func.min(daily.c.day), func.max(daily.c.day))).one()
        for monthly, _ in pairs:
            conn.execute(monthly.delete())
        if lo is not None:
            lo, hi = (date.fromisoformat(v) if isinstance(v, str) else v for v in (lo, hi))
            months, month = set(), month_start(lo)
            while month <= hi:
                months.add(month)
                month = month_end(month) + timedelta(days=1)
            refresh_months(conn, kind, months)


def refresh(conn: Connection, dossier_days: set[date], ticket_days: set[date]) -> None:
    """Recompute the rollup rows of these days from the records, in the caller's transaction."""
    touched = dossier_days | ticket_days
    if not touched:
        return
    sync_calendar(conn, min(touched) - CALENDAR_MARGIN, max(touched) + CALENDAR_MARGIN)
    dialect = conn.dialect.name
    if dossier_days:
        _recompute_dossier_days(conn, dossier_days)
    if ticket_days:
        _recompute_days(conn, _recompute_statements("ticket", dialect), ticket_days)
    refresh_stocks(conn, dossier_days, ticket_days)


def rebuild_all(conn: Connection) -> None:
    """Recompute every rollup from the records (after a migration adds rollups, or the calendar changed)."""
    from store.schema import dossiers, tickets

    dossier_days = {d for (d,) in conn.execute(select(dossiers.c.received_day).distinct())}
    dossier_days |= {d for (d,) in conn.execute(select(dossiers.c.completed_day).distinct()) if d is not None}
    ticket_days = {d for (d,) in conn.execute(select(tickets.c.received_day).distinct())}
    ticket_days |= {d for (d,) in conn.execute(select(tickets.c.closed_day).distinct()) if d is not None}
    if dossier_days or ticket_days:
        conn.execute(calendar_days.delete())
    refresh(conn, dossier_days, ticket_days)
