"""KPI frames: every KPI of the catalogue for every unit (and the city) over a period, from rollups.

The frame is cached per (database, data version, period): a new batch bumps the version, so a
cached frame is never stale and never recomputed while the data stands still; with REDIS_URL set the cache
is shared by every web worker (metrics/frame_cache.py). Reads touch only the
rollup tables (store/rollups.py): per-unit measures, the processing-time histogram, the backlog stocks
at the period's last day and the document counts. Whole calendar months are read from the monthly
rollups and only the days of partial months from the daily ones (a month: ~180 rows per table instead of
~6,000); the sums, medians and groupings are done by the database, and the frame is assembled in numpy
(pandas per step cost more than the queries).
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Date, Engine, bindparam, func, select, text

from config import Settings
from access import scope as access_scope
from metrics.calendar import is_working_day
from metrics.frame_cache import FrameCache, cache_key, database_name, frame_cache
from metrics.kpis import CATALOGUE, MEASURES
from store import writes
from store.rollups import month_end, month_start
from store.schema import communes, departments, document_counts, dossier_unit_daily, ticket_daily

CITY = "city"
_DOSSIER_SUMS = ("received", "received_online", "received_full_online", "received_fee_bearing",
                 "received_paid_online", "received_digitised", "received_data_reused", "received_accepted_late",
                 "completed", "completed_early", "completed_on_time", "completed_late", "completed_processed",
                 "completed_e_result", "completed_working_days", "completed_timed")
_TICKET_SUMS = ("received", "closed", "closed_on_time", "closed_reopened", "closed_unsatisfactory")
# Measures the city takes as the largest over its units rather than their sum.
CITY_MAX = ("longest_idle_working_days",)
COMMUNE_ONLY = ("working_days", "active_working_days", "active_every_working_day", "receiving_online",
                "longest_idle_working_days")


def data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return writes.current_data_version(conn)[0]


ONE_DAY = timedelta(days=1)


def _split(start: date, end: date) -> dict[str, date]:
    """The period as whole calendar months (first days m0..m1, none when m0 > m1), read from the monthly
    rollups, and the days before (h0..h1) and after (t0..t1) them, read from the daily ones."""
    first = start if start.day == 1 else month_end(start) + ONE_DAY
    last = end if end == month_end(end) else month_start(end) - ONE_DAY
    h1 = min(first - ONE_DAY, end)
    return {"m0": first, "m1": month_start(last), "h0": start, "h1": h1, "t0": max(last + ONE_DAY, h1 + ONE_DAY),
            "t1": end, "s": start, "e": end}


def _daily_only(start: date, end: date) -> dict[str, date]:
    return {"m0": end, "m1": start - ONE_DAY, "h0": start, "h1": end, "t0": end + ONE_DAY, "t1": end,
            "s": start, "e": end}


def _sql(sql: str):
    return text(sql).bindparams(*(bindparam(p, type_=Date) for p in ("m0", "m1", "h0", "h1", "t0", "t1", "s", "e")
                                  if f":{p}" in sql))


def _parts(monthly: str, daily: str, columns: str) -> str:
    """Rows of the whole months and of the days around them (three index range reads)."""
    return (f"SELECT unit_code, {columns} FROM {monthly} WHERE month BETWEEN :m0 AND :m1 "
            f"UNION ALL SELECT unit_code, {columns} FROM {daily} WHERE day BETWEEN :h0 AND :h1 "
            f"UNION ALL SELECT unit_code, {columns} FROM {daily} WHERE day BETWEEN :t0 AND :t1")


def _sums_sql(monthly: str, daily: str, names: tuple[str, ...]):
    return _sql(f"SELECT unit_code, {', '.join(f'SUM({m})' for m in names)} "
                f"FROM ({_parts(monthly, daily, ', '.join(names))}) AS p GROUP BY unit_code")


_DOSSIER_Q = _sums_sql("dossier_unit_monthly", "dossier_unit_daily", _DOSSIER_SUMS)
_TICKET_Q = _sums_sql("ticket_unit_monthly", "ticket_unit_daily", _TICKET_SUMS)
# The processing-time histogram: one whole month's rows as stored; several parts summed by the database
# first (a year would otherwise fetch twelve rows per bucket; fetching rows is what costs here).
_HIST_PARTS = _parts("dossier_duration_monthly", "dossier_duration_daily", "working_days, completed")
_HIST_Q = _sql(f"SELECT unit_code, working_days, completed FROM ({_HIST_PARTS}) AS p")
_HIST_SUM_Q = _sql(f"SELECT unit_code, working_days, SUM(completed) FROM ({_HIST_PARTS}) AS p "
                   f"GROUP BY unit_code, working_days")
# Days with receipts as (unit, first day, bits): bit i = that day + i. A daily row is one bit.
_ACTIVE_Q = _sql("SELECT unit_code, month, received_days FROM dossier_unit_monthly "
                 "WHERE month BETWEEN :m0 AND :m1 AND received_days <> 0 "
                 "UNION ALL SELECT unit_code, day, 1 FROM dossier_unit_daily WHERE day BETWEEN :h0 AND :h1 "
                 "AND received > 0 UNION ALL SELECT unit_code, day, 1 FROM dossier_unit_daily "
                 "WHERE day BETWEEN :t0 AND :t1 AND received > 0")
_DOCS_Q = _sql("SELECT unit_code, SUM(total), SUM(electronic), SUM(digitally_signed) FROM ("
               "SELECT unit_code, total, electronic, digitally_signed FROM document_unit_monthly "
               "WHERE month BETWEEN :m0 AND :m1 AND day_rows > 0 "
               "UNION ALL SELECT unit_code, total, electronic, digitally_signed FROM document_counts "
               "WHERE day BETWEEN :h0 AND :h1 "
               "UNION ALL SELECT unit_code, total, electronic, digitally_signed FROM document_counts "
               "WHERE day BETWEEN :t0 AND :t1) AS p GROUP BY unit_code")
_COMMUNES_Q = text("SELECT code FROM communes ORDER BY code")


def _stock_sql(backlog: str):
    # The stock at the period's last day, or at the newest backlog day when the period ends after it.
    return _sql(f"SELECT b.unit_code, b.open, b.open_overdue, n.newest FROM (SELECT MAX(day) AS newest FROM {backlog}) "
                f"AS n JOIN {backlog} AS b ON b.day = CASE WHEN n.newest < :e THEN n.newest ELSE :e END")


_STOCK_Q = {"dossier": _stock_sql("dossier_backlog_daily"), "ticket": _stock_sql("ticket_backlog_daily")}
_DUE_Q = {kind: text(f"SELECT unit_code, SUM(opened - closed) FROM {kind}_due_flow WHERE late_day > :newest "
                     f"AND late_day <= :e GROUP BY unit_code").bindparams(bindparam("e", type_=Date))
          for kind in ("dossier", "ticket")}


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _stock(conn, kind: str, end: date) -> list[tuple]:
    """(unit, open, open_overdue) at the end of `end`. Past the newest backlog row nothing enters or ends,
    but open records still fall due: their late days are read from the flows."""
    rows = conn.execute(_STOCK_Q[kind], {"e": end}).all()
    if not rows:
        return []
    newest = _as_date(rows[0][3])
    if newest >= end:
        return [(u, o, v) for u, o, v, _ in rows]
    due = dict(conn.execute(_DUE_Q[kind], {"newest": rows[0][3], "e": end}).all())
    return [(u, o, v + due.get(u, 0)) for u, o, v, _ in rows]


def _lower_median(groups: np.ndarray, days: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group, lower median of days) from histogram rows sorted by group then days: the first bucket
    whose running count reaches (total + 1) // 2."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    cum = np.cumsum(counts)
    within = cum - np.repeat(cum[starts] - counts[starts], sizes)
    totals = np.repeat(np.add.reduceat(counts, starts), sizes)
    reached = np.flatnonzero(within >= (totals + 1) // 2)
    _, first = np.unique(np.repeat(np.arange(len(starts)), sizes)[reached], return_index=True)
    return groups[starts], days[reached[first]].astype(float)


def _medians(rows: list[tuple], position: dict[str, int]) -> tuple[np.ndarray, np.ndarray, float]:
    """(unit positions, their medians, the whole city's median: its own histogram, not a median of medians)."""
    if not rows:
        return np.array([], np.int64), np.array([]), np.nan
    units, days, counts = zip(*rows)
    unit = np.fromiter((position[u] for u in units), np.int64, len(units))
    day, count = np.array(days, np.int64), np.array(counts, np.int64)
    order = np.lexsort((day, unit))
    at, medians = _lower_median(unit[order], day[order], count[order])
    values, inverse = np.unique(day, return_inverse=True)
    city = _lower_median(np.zeros(len(values), np.int64), values,
                         np.bincount(inverse, weights=count).astype(np.int64))[1][0]
    return at, medians, float(city)


def _longest_runs(flags: np.ndarray) -> np.ndarray:
    """The longest run of True along each row of a 2-d boolean array."""
    run = np.zeros(flags.shape[0])
    longest = np.zeros(flags.shape[0])
    for j in range(flags.shape[1]):  # one step per working day, all communes at once
        run = np.where(flags[:, j], run + 1, 0)
        np.maximum(longest, run, out=longest)
    return longest


def _working_days(start: date, end: date) -> np.ndarray:
    """The working days of the period as day numbers (datetime64[D] as int)."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    return days[[is_working_day(d) for d in days.astype(object)]].astype(np.int64)


def _activity(rows: list[tuple], codes: list[str], start: date, end: date) -> np.ndarray:
    """(active working days, active every working day, longest idle run) per commune."""
    work = _working_days(start, end)
    active = np.zeros((len(codes), len(work)), bool)
    if rows and len(work):
        units, firsts, bits = zip(*rows)
        row = pd.Index(codes).get_indexer(units)
        first = np.array(firsts, dtype="datetime64[D]").astype(np.int64)
        shift = np.arange(31)
        on = (np.array(bits, dtype=np.int64)[:, None] >> shift) & 1 == 1
        day = first[:, None] + shift
        column = np.full(int(work[-1] - work[0]) + 1, -1)
        column[work - work[0]] = np.arange(len(work))
        offset = day - work[0]
        inside = on & (offset >= 0) & (offset < len(column)) & (row[:, None] >= 0)
        col = column[offset[inside]]
        keep = col >= 0
        active[np.broadcast_to(row[:, None], on.shape)[inside][keep], col[keep]] = True
    every = active.all(axis=1) & (len(work) > 0)
    return np.column_stack([np.full(len(codes), float(len(work))), active.sum(axis=1), every,
                            _longest_runs(~active)])


_COL = {m: j for j, m in enumerate(MEASURES)}
_ACTIVITY_COLS = [_COL[m] for m in ("working_days", "active_working_days", "active_every_working_day",
                                    "longest_idle_working_days")]


def _place(matrix: np.ndarray, position: dict[str, int], rows: list[tuple], names) -> None:
    if rows:
        matrix[np.ix_(np.fromiter((position[r[0]] for r in rows), np.int64, len(rows)),
                      [_COL[m] for m in names])] = np.array([r[1:] for r in rows], dtype=float)


def _measures(engine: Engine, start: date, end: date, monthly: bool = True) -> tuple[np.ndarray, list[str], float]:
    """(measures: units × MEASURES, unit codes, the city's median working days) over the period."""
    params = _split(start, end) if monthly else _daily_only(start, end)
    with engine.connect() as conn:
        codes = [r[0] for r in conn.execute(_COMMUNES_Q)]
        dossier = conn.execute(_DOSSIER_Q, params).all()
        tick = conn.execute(_TICKET_Q, params).all()
        docs = conn.execute(_DOCS_Q, params).all()
        one_month = params["m0"] == params["m1"] and params["h0"] > params["h1"] and params["t0"] > params["t1"]
        hist = conn.execute(_HIST_Q if one_month else _HIST_SUM_Q, params).all()
        active = conn.execute(_ACTIVE_Q, params).all()
        stock, tstock = _stock(conn, "dossier", end), _stock(conn, "ticket", end)
    units = sorted({r[0] for part in (dossier, tick, docs, stock, tstock, hist) for r in part}.union(codes))
    position = {u: i for i, u in enumerate(units)}
    m = np.full((len(units), len(MEASURES)), np.nan)
    _place(m, position, dossier, _DOSSIER_SUMS)
    _place(m, position, tick, [f"tickets_{n}" for n in _TICKET_SUMS])
    _place(m, position, docs, ("documents_total", "documents_electronic", "documents_signed"))
    _place(m, position, stock, ("open", "open_overdue"))
    _place(m, position, tstock, ("tickets_open", "tickets_open_overdue"))
    m[:, _COL["open_within"]] = m[:, _COL["open"]] - m[:, _COL["open_overdue"]]
    m[:, _COL["tickets_open_within"]] = m[:, _COL["tickets_open"]] - m[:, _COL["tickets_open_overdue"]]
    m[:, _COL["tickets_closed_satisfactory"]] = (m[:, _COL["tickets_closed"]]
                                                 - m[:, _COL["tickets_closed_unsatisfactory"]])
    at, medians, city_median = _medians(hist, position)
    m[at, _COL["completed_median_working_days"]] = medians
    if np.nansum(m[:, _COL["received"]]) > 0:  # an empty store or period says nothing about continuity
        rows = [position[c] for c in codes]
        m[np.ix_(rows, _ACTIVITY_COLS)] = _activity(active, codes, start, end)
        online = m[rows, _COL["received_online"]]
        m[rows, _COL["receiving_online"]] = (online > 0).astype(float)  # NaN (no rows) is not > 0
    return m, units, city_median


def _city(m: np.ndarray, median: float) -> np.ndarray:
    """The city: sums over every unit (tickets not placed in a commune included), the largest where
    CITY_MAX says so, and the median of the whole city's histogram (not a median of medians)."""
    missing = np.isnan(m).all(axis=0)
    with np.errstate(invalid="ignore"):
        city = np.where(missing, np.nan, np.nansum(m, axis=0))
    for name in CITY_MAX:
        j = _COL[name]
        city[j] = np.nan if missing[j] else np.nanmax(m[:, j])
    city[_COL["completed_median_working_days"]] = median
    return city


def kpis_from_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """Every KPI of the catalogue from a frame of measures (rows: units). A sum with a missing part is
    missing; a ratio with a zero or missing denominator is missing."""
    return pd.DataFrame(_kpis(measures.to_numpy(float), list(measures.columns)), index=measures.index,
                        columns=list(CATALOGUE))


def _kpis(m: np.ndarray, columns: list[str]) -> np.ndarray:
    j = {c: i for i, c in enumerate(columns)}
    out = np.empty((m.shape[0], len(CATALOGUE)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, kpi in enumerate(CATALOGUE.values()):
            num = sum(m[:, j[c]] for c in kpi.numerator)
            if kpi.denominator:
                den = sum(m[:, j[c]] for c in kpi.denominator)
                out[:, k] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan) * kpi.scale
            else:
                out[:, k] = num
    return out


def compute(engine: Engine, start: date, end: date, monthly: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measures, KPIs) for every unit and the city, from the rollups, bypassing the cache. `monthly=False`
    reads the daily rollups only (the same numbers; a check on the monthly ones)."""
    m, units, median = _measures(engine, start, end, monthly)
    m = np.vstack([m, _city(m, median)])
    index = pd.Index([*units, CITY], name="unit_code")
    return (pd.DataFrame(m, index=index, columns=list(MEASURES)),
            pd.DataFrame(_kpis(m, list(MEASURES)), index=index, columns=list(CATALOGUE)))


def _cache() -> FrameCache:
    """In-process, or Redis shared by every web worker when REDIS_URL is set (metrics/frame_cache.py)."""
    settings = Settings.from_env()
    return frame_cache(settings.redis_url, settings.frame_cache_seconds)


def _cached(url: str, version: str, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    cache, key = _cache(), cache_key(url, version, start, end)
    frames = cache.get(key)
    if frames is None:
        from store.db import engine_for

        frames = compute(engine_for(url), start, end)
        cache.set(key, frames)
    cache.touch(database_name(url), start, end)
    return frames


WARM_WITHIN = 3600  # seconds: a period read within the last hour is computed again after new data


def warm(engine: Engine, within_seconds: float = WARM_WITHIN) -> int:
    """Compute, at the store's current data version, the frames of the periods read lately (by any worker
    when the cache is Redis), so the first request after new data finds them (metrics/warm.py runs this).
    Returns how many were computed; 0 when another worker claimed this version."""
    url, version = _store(engine)
    cache = _cache()
    if not cache.claim(f"warm:{database_name(url)}:{version}", 600):
        return 0
    computed = 0
    for start, end in cache.recent(database_name(url), within_seconds):
        key = cache_key(url, version, start, end)
        if cache.get(key) is None:
            cache.set(key, compute(engine, start, end))
            computed += 1
    return computed


def clear_cache() -> None:
    """Forget this process's frames (a benchmark's cold start); Redis entries expire on their own."""
    _cache().clear()


def _store(engine: Engine) -> tuple[str, str]:
    """(the store's URL, its data version as frames are keyed by)."""
    with engine.connect() as conn:
        version, changed_at = writes.current_data_version(conn)
    # The change time too: a restored backup (store/backup.py) may repeat a version number, never its time.
    return engine.url.render_as_string(hide_password=False), f"{version}@{changed_at}"


def _key(engine: Engine, start: date, end: date):
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return (*_store(engine), start, end)


def measure_frame(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """The measures behind the KPIs (rows: units and 'city'; columns: metrics.kpis.MEASURES); rows outside
    the asker's scope (access.scope.current()) read as no data."""
    return access_scope.current().mask(_cached(*_key(engine, start, end))[0].copy())


def kpi_frame(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """Rows: commune and department codes plus 'city'; columns: KPI ids. NaN = no data, and so is every row
    outside the asker's scope (access.scope.current(): the city row only for a scope of everything)."""
    return access_scope.current().mask(_cached(*_key(engine, start, end))[1].copy())


def commune_series(engine: Engine, unit_code: str, start: date, end: date) -> dict[str, pd.DataFrame]:
    """The drill-down's series for one unit: dossiers by day, tickets by category, documents by day."""
    d, t, doc = dossier_unit_daily.c, ticket_daily.c, document_counts.c
    if not access_scope.current().allows(unit_code):
        unit_code = None  # outside the asker's scope: the same empty series as a unit without records
    with engine.connect() as conn:
        dossiers = pd.DataFrame(conn.execute(
            select(d.day, d.received, (d.completed_early + d.completed_on_time).label("completed_on_time"),
                   d.completed_late)
            .where(d.unit_code == unit_code, d.day.between(start, end)).order_by(d.day))
            .mappings().all(), columns=["day", "received", "completed_on_time", "completed_late"])
        tickets = pd.DataFrame(conn.execute(
            select(t.category, func.sum(t.received).label("received"))
            .where(t.unit_code == unit_code, t.day.between(start, end)).group_by(t.category)
            .order_by(func.sum(t.received).desc())).mappings().all(), columns=["category", "received"])
        documents = pd.DataFrame(conn.execute(
            select(doc.day, doc.direction, func.sum(doc.total).label("total"))
            .where(doc.unit_code == unit_code, doc.day.between(start, end))
            .group_by(doc.day, doc.direction).order_by(doc.day)).mappings().all(),
            columns=["day", "direction", "total"])
    return {"dossiers": dossiers, "tickets": tickets, "documents": documents}


def rank(frame: pd.DataFrame, kpi_id: str, codes: list[str]) -> pd.Series:
    """1 = best among these units for this KPI (by its better direction); no data ranks nowhere."""
    values = frame.loc[frame.index.intersection(codes), kpi_id]
    return values.rank(ascending=CATALOGUE[kpi_id].better == "lower", method="min").astype("Int64") \
        if values.notna().any() else pd.Series(dtype="Int64")


def unit_codes(engine: Engine) -> tuple[list[str], list[str]]:
    """(commune codes, department codes) from the store."""
    with engine.connect() as conn:
        return ([r[0] for r in conn.execute(select(communes.c.code).order_by(communes.c.code))],
                [r[0] for r in conn.execute(select(departments.c.code).order_by(departments.c.code))])


def kpi_frame_json(engine: Engine, scope: str, start: date, end: date) -> dict:
    """One row of the KPI frame as JSON-ready data (no data is None, never 0); KeyError for an unknown scope."""
    frame = kpi_frame(engine, start, end)
    if scope not in frame.index or not access_scope.current().allows(scope):
        raise KeyError(scope)  # outside the asker's scope reads as unknown
    row = frame.loc[scope]
    return {"scope": scope, "from": start.isoformat(), "to": end.isoformat(), "data_version": data_version(engine),
            "kpis": {k: {"value": None if pd.isna(row[k]) else round(float(row[k]), 6), "unit": CATALOGUE[k].unit,
                         "name_vi": CATALOGUE[k].name_vi, "name_en": CATALOGUE[k].name_en} for k in CATALOGUE}}
