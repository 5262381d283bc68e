"""Breakdowns below a unit: its dossiers by sector (lĩnh vực) and by procedure (thủ tục), over a period.

The KPIs are the catalogue's (metrics.kpis via metrics.frame.kpis_from_measures), computed from the measures
a breakdown can count: the sector rollup (dossier_daily: unit, day, sector) carries received, online,
fully-online and completed early / on time / late, so every KPI built only from those is available; the
others (stocks, durations, digitisation, ...) are not broken down and are left out rather than shown wrong.
Procedures have no rollup: one unit's dossiers are read by procedure and day, with the rollups' on-time rule,
and cached by data version like the KPI frames; the procedure tables and each procedure's daily chart are cut
from that one read. The dossiers are indexed by day, not by unit (an index is a migration, not made here),
so the read scans the whole city's dossiers of the period: bench/breakdown.py gives its cost.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Date, Engine, bindparam, text

from access import scope as access_scope
from metrics.frame import data_version, kpis_from_measures
from metrics.kpis import CATALOGUE, MEASURES
from metrics.rules import rule
from store.rollups import _ON_TIME  # the portal's on-time rule, written once for the rollups

BREAKDOWN_MEASURES = ("received", "received_online", "received_full_online", "completed", "completed_early",
                      "completed_on_time", "completed_late")
# The catalogue's KPIs whose every measure a breakdown counts.
BREAKDOWN_KPIS = tuple(k.id for k in CATALOGUE.values()
                       if set(k.numerator + k.denominator) <= set(BREAKDOWN_MEASURES))

_SUMS = ", ".join(f"SUM({m}) AS {m}" for m in BREAKDOWN_MEASURES)
_DAYS = (bindparam("s", type_=Date), bindparam("e", type_=Date))
# The sector rollup is keyed (unit_code, day, sector): one unit's period is one index range.
_SECTOR_Q = {
    True: text(f"SELECT sector, {_SUMS} FROM dossier_daily WHERE unit_code = :u AND day BETWEEN :s AND :e "
               f"GROUP BY sector").bindparams(*_DAYS),
    False: text(f"SELECT sector, {_SUMS} FROM dossier_daily WHERE day BETWEEN :s AND :e "
                f"GROUP BY sector").bindparams(*_DAYS),
}
_SECTOR_DAILY_Q = {one: text(f"SELECT day, SUM(received) AS received, SUM(completed_early + completed_on_time) AS "
                             f"completed_on_time, SUM(completed_late) AS completed_late FROM dossier_daily "
                             f"WHERE {'unit_code = :u AND ' if one else ''}day BETWEEN :s AND :e AND sector = :sector "
                             f"GROUP BY day ORDER BY day").bindparams(*_DAYS) for one in (True, False)}
# One sector in every unit (the city-level sector page): the period's rows of the day index, one sector kept.
_SECTOR_UNITS_Q = text(f"SELECT unit_code, {_SUMS} FROM dossier_daily WHERE day BETWEEN :s AND :e "
                       f"AND sector = :sector GROUP BY unit_code").bindparams(*_DAYS)
# Procedures: the same events the rollups count (a receipt on its received day, an end on its completed day).
_EVENTS = f"""
    SELECT sector, procedure_code, procedure_name, received_day AS day, 1 AS received,
           CASE WHEN channel = 'online' THEN 1 ELSE 0 END AS received_online,
           CASE WHEN full_process_online THEN 1 ELSE 0 END AS received_full_online,
           0 AS completed, 0 AS completed_early, 0 AS completed_on_time, 0 AS completed_late
    FROM dossiers WHERE unit_code = :u AND received_day BETWEEN :s AND :e
    UNION ALL
    SELECT sector, procedure_code, procedure_name, completed_day, 0, 0, 0, 1,
           CASE WHEN {_ON_TIME} AND completed_day < due_day THEN 1 ELSE 0 END,
           CASE WHEN {_ON_TIME} AND completed_day >= due_day THEN 1 ELSE 0 END,
           CASE WHEN {_ON_TIME} THEN 0 ELSE 1 END
    FROM dossiers WHERE unit_code = :u AND completed_day BETWEEN :s AND :e AND received_day <= :e"""
# (received_day <= :e is implied, a dossier ends after its receipt (ingest/contracts.py), and lets the index
# by unit and received day (migration 0007) serve the second half too.)
# By procedure and day: one read serves a commune's procedure table and each procedure's daily chart.
_PROCEDURE_DAYS_Q = text(f"SELECT sector, procedure_code, MAX(procedure_name) AS procedure_name, day, {_SUMS} "
                         f"FROM ({_EVENTS}) AS events GROUP BY sector, procedure_code, day").bindparams(*_DAYS)
DAILY_COLUMNS = ["day", "received", "completed_on_time", "completed_late"]


def slug(sector: str) -> str:
    """A sector's name as a URL path segment: 'Hộ tịch' → 'ho-tich', 'Đất đai' → 'dat-dai'."""
    plain = unicodedata.normalize("NFKD", sector.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _with_kpis(measures: pd.DataFrame) -> pd.DataFrame:
    """The breakdown's measures plus the catalogue's KPIs computed from them (the others left out)."""
    full = measures.reindex(columns=list(MEASURES)).astype(float)  # measures a breakdown lacks stay NaN
    kpis = kpis_from_measures(full)[list(BREAKDOWN_KPIS)]
    return pd.concat([measures, kpis.drop(columns=[c for c in kpis if c in measures])], axis=1)


def _params(unit_code: str | None, start: date, end: date) -> dict:
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return {"u": unit_code, "s": start, "e": end, "max_supplements": rule("late_supplement_requests")}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def sector_breakdown(engine: Engine, unit_code: str | None, start: date, end: date) -> pd.DataFrame:
    """Rows: the sectors with dossiers received or ended in the period (most received first), for one unit
    or the whole city (`unit_code` None); columns: 'slug', the measures and BREAKDOWN_KPIS."""
    out = _sectors(_url(engine), data_version(engine), unit_code, start, end)
    return (out if access_scope.current().allows(unit_code) else out.iloc[:0]).copy()


@lru_cache(maxsize=256)
def _sectors(url: str, version: int, unit_code: str | None, start: date, end: date) -> pd.DataFrame:
    from store.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(_SECTOR_Q[unit_code is not None], _params(unit_code, start, end)).mappings().all()
    measures = pd.DataFrame(rows, columns=["sector", *BREAKDOWN_MEASURES]).set_index("sector")
    out = _with_kpis(measures.astype(float))
    out.insert(0, "slug", [slug(s) for s in out.index])
    return out.sort_values(["received", "completed"], ascending=False)


def procedure_breakdown(engine: Engine, unit_code: str, start: date, end: date,
                        sector: str | None = None) -> pd.DataFrame:
    """Rows: one unit's procedures with dossiers received or ended in the period (most received first),
    optionally of one sector; columns: 'sector', 'procedure_name', the measures and BREAKDOWN_KPIS."""
    out = _procedures(_url(engine), data_version(engine), unit_code, start, end)
    if not access_scope.current().allows(unit_code):
        out = out.iloc[:0]
    return (out[out["sector"] == sector] if sector is not None else out).copy()


def _procedures(url: str, version: int, unit_code: str, start: date, end: date) -> pd.DataFrame:
    days = _procedure_days(url, version, unit_code, start, end)
    sums = days.groupby(["sector", "procedure_code"])[list(BREAKDOWN_MEASURES)].sum()
    frame = sums.reset_index().set_index("procedure_code")
    names = days.groupby("procedure_code")["procedure_name"].max()
    out = pd.concat([frame[["sector"]], names.reindex(frame.index), _with_kpis(frame[list(BREAKDOWN_MEASURES)])],
                    axis=1)
    return out.sort_values(["received", "completed"], ascending=False)


@lru_cache(maxsize=64)
def _procedure_days(url: str, version: int, unit_code: str, start: date, end: date) -> pd.DataFrame:
    """One unit's dossier events by sector, procedure and day over the period (one read, cached)."""
    from store.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(_PROCEDURE_DAYS_Q, _params(unit_code, start, end)).mappings().all()
    frame = pd.DataFrame(rows, columns=["sector", "procedure_code", "procedure_name", "day", *BREAKDOWN_MEASURES])
    frame["day"] = [date.fromisoformat(d) if isinstance(d, str) else d for d in frame["day"]]
    return frame.astype({m: float for m in BREAKDOWN_MEASURES})


def sector_daily(engine: Engine, unit_code: str | None, start: date, end: date, sector: str) -> pd.DataFrame:
    """One sector's dossiers by day in one unit (or the city, `unit_code` None): received, completed on time
    (early included), late."""
    if not access_scope.current().allows(unit_code):
        return _daily([], start, end)
    with engine.connect() as conn:
        rows = conn.execute(_SECTOR_DAILY_Q[unit_code is not None],
                            {**_params(unit_code, start, end), "sector": sector}).mappings().all()
    return _daily(rows, start, end)


def sector_units(engine: Engine, sector: str, start: date, end: date) -> pd.DataFrame:
    """One sector in every unit with dossiers of it in the period: rows by unit code; the measures and
    BREAKDOWN_KPIS as sector_breakdown."""
    out = _sector_units(_url(engine), data_version(engine), sector, start, end)
    # .loc: an empty list would select no columns with [] (a period without the sector broke the page)
    return out.loc[[access_scope.current().allows(code) for code in out.index]].copy()


@lru_cache(maxsize=64)
def _sector_units(url: str, version: int, sector: str, start: date, end: date) -> pd.DataFrame:
    from store.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(_SECTOR_UNITS_Q, {**_params(None, start, end), "sector": sector}).mappings().all()
    measures = pd.DataFrame(rows, columns=["unit_code", *BREAKDOWN_MEASURES]).set_index("unit_code")
    return _with_kpis(measures.astype(float))


def procedure_daily(engine: Engine, unit_code: str, start: date, end: date, procedure_code: str) -> pd.DataFrame:
    """One procedure's dossiers by day in one unit, as sector_daily."""
    days = _procedure_days(_url(engine), data_version(engine), unit_code, start, end)
    one = days[(days["procedure_code"] == procedure_code) & access_scope.current().allows(unit_code)]
    series = pd.DataFrame({"day": one["day"], "received": one["received"],
                           "completed_on_time": one["completed_early"] + one["completed_on_time"],
                           "completed_late": one["completed_late"]}).groupby("day", as_index=False).sum()
    return every_day(series, start, end)


def every_day(series: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """A by-day count series with a row for every day of the period: a day without rows counted nothing
    (0), so a chart draws it at 0 instead of joining its neighbours across it."""
    days = pd.Index([start + timedelta(days=i) for i in range((end - start).days + 1)], name="day")
    counts = series.assign(day=[date.fromisoformat(d) if isinstance(d, str) else d for d in series["day"]])
    counts = counts.set_index("day").reindex(days, fill_value=0)
    return counts.astype(np.int64).reset_index()


def _daily(rows, start: date, end: date) -> pd.DataFrame:
    return every_day(pd.DataFrame(rows, columns=DAILY_COLUMNS), start, end)
