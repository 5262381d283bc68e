"""KPI frames: every KPI of the catalogue for every unit (and the city) over a period, from rollups.

The frame is cached per (database, data version, period): a new batch bumps the version, so a
cached frame is never stale and never recomputed while the data stands still. Reads touch only the
rollup tables (store/rollups.py): per-unit daily measures, the processing-time histogram, the backlog
stocks at the period's last day and the document counts.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from metrics.calendar import is_working_day
from metrics.kpis import CATALOGUE, MEASURES
from store import writes
from store.schema import (communes, departments, document_counts, dossier_backlog_daily, dossier_due_flow,
                          dossier_duration_daily, dossier_unit_daily, ticket_backlog_daily, ticket_daily,
                          ticket_due_flow, ticket_unit_daily)

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


def _query(conn, query, columns) -> pd.DataFrame:
    # Plain tuples: pandas probing SQLAlchemy rows for attributes cost more than the queries themselves.
    return pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=columns)


def _sums(conn, table, names: tuple[str, ...], start: date, end: date, prefix: str = "") -> pd.DataFrame:
    c = table.c
    frame = _query(conn, select(c.unit_code, *(func.sum(c[m]) for m in names))
                   .where(c.day.between(start, end)).group_by(c.unit_code), ["unit_code", *names])
    return frame.set_index("unit_code").rename(columns=lambda m: prefix + m).astype(float)


def backlog_at(conn, backlog, flow, day: date) -> pd.DataFrame:
    """(open, open_overdue) per unit at the end of `day`. Past the newest backlog row nothing enters or
    ends, but open records still fall due: their late days are read from the flows."""
    newest = conn.execute(select(func.max(backlog.c.day))).scalar()
    if newest is None:
        return pd.DataFrame(columns=["open", "open_overdue"], dtype=float)
    at = min(day, newest)
    b = backlog.c
    stock = _query(conn, select(b.unit_code, b.open, b.open_overdue).where(b.day == at),
                   ["unit_code", "open", "open_overdue"]).set_index("unit_code").astype(float)
    if day > newest:
        f = flow.c
        due = _query(conn, select(f.unit_code, func.sum(f.opened - f.closed))
                     .where(f.late_day > newest, f.late_day <= day).group_by(f.unit_code), ["unit_code", "n"])
        stock["open_overdue"] = stock["open_overdue"].add(due.set_index("unit_code")["n"].astype(float),
                                                          fill_value=0).reindex(stock.index)
    return stock


def _median_from_histogram(hist: pd.DataFrame) -> pd.Series:
    """Median working days per unit from (unit_code, working_days, completed) rows (the lower median)."""
    if hist.empty:
        return pd.Series(dtype=float)
    hist = hist.sort_values(["unit_code", "working_days"])
    cum = hist.groupby("unit_code")["completed"].cumsum()
    total = hist.groupby("unit_code")["completed"].transform("sum")
    reached = hist[cum >= (total + 1) // 2]
    return reached.groupby("unit_code")["working_days"].first().astype(float)


def _activity(conn, start: date, end: date, codes: list[str]) -> pd.DataFrame:
    """Continuity measures per commune over the working days of the period."""
    work = [start + timedelta(days=i) for i in range((end - start).days + 1)
            if is_working_day(start + timedelta(days=i))]
    c = dossier_unit_daily.c
    daily = _query(conn, select(c.unit_code, c.day, c.received_online)
                   .where(c.day.between(start, end), c.received > 0), ["unit_code", "day", "received_online"])
    daily = daily[daily["unit_code"].isin(codes)]
    out = pd.DataFrame(index=pd.Index(codes, name="unit_code"))
    out["working_days"] = float(len(work))
    out["receiving_online"] = daily[daily["received_online"] > 0].groupby("unit_code").size() \
        .reindex(out.index, fill_value=0).gt(0).astype(float)
    active = np.zeros((len(codes), len(work)), bool)
    if work and len(daily):
        row = pd.Index(codes).get_indexer(daily["unit_code"])
        col = pd.Index(work).get_indexer(daily["day"])
        keep = col >= 0
        active[row[keep], col[keep]] = True
    out["active_working_days"] = active.sum(axis=1).astype(float)
    out["active_every_working_day"] = (active.all(axis=1) & (len(work) > 0)).astype(float)
    out["longest_idle_working_days"] = _longest_runs(~active)
    return out


def _longest_runs(flags: np.ndarray) -> np.ndarray:
    """The longest run of True along each row of a 2-d boolean array."""
    run = np.zeros(flags.shape[0])
    longest = np.zeros(flags.shape[0])
    for j in range(flags.shape[1]):  # one step per working day, all communes at once
        run = np.where(flags[:, j], run + 1, 0)
        np.maximum(longest, run, out=longest)
    return longest


def _measures(engine: Engine, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measures per unit, the processing-time histogram per unit) over the period."""
    doc, h = document_counts.c, dossier_duration_daily.c
    with engine.connect() as conn:
        commune_codes = [r[0] for r in conn.execute(select(communes.c.code).order_by(communes.c.code))]
        dossier = _sums(conn, dossier_unit_daily, _DOSSIER_SUMS, start, end)
        tick = _sums(conn, ticket_unit_daily, _TICKET_SUMS, start, end, prefix="tickets_")
        stock = backlog_at(conn, dossier_backlog_daily, dossier_due_flow, end)
        tstock = backlog_at(conn, ticket_backlog_daily, ticket_due_flow, end).add_prefix("tickets_")
        docs = _query(conn, select(doc.unit_code, func.sum(doc.total), func.sum(doc.electronic),
                                   func.sum(doc.digitally_signed))
                      .where(doc.day.between(start, end)).group_by(doc.unit_code),
                      ["unit_code", "documents_total", "documents_electronic", "documents_signed"]) \
            .set_index("unit_code").astype(float)
        hist = _query(conn, select(h.unit_code, h.working_days, func.sum(h.completed))
                      .where(h.day.between(start, end)).group_by(h.unit_code, h.working_days),
                      ["unit_code", "working_days", "completed"])
        activity = _activity(conn, start, end, commune_codes)
    frame = pd.concat([dossier, stock, tick, tstock, docs], axis=1)
    frame = frame.reindex(frame.index.union(pd.Index(commune_codes)))  # a commune without records: no data
    frame["open_within"] = frame["open"] - frame["open_overdue"]
    frame["tickets_open_within"] = frame["tickets_open"] - frame["tickets_open_overdue"]
    frame["tickets_closed_satisfactory"] = frame["tickets_closed"] - frame["tickets_closed_unsatisfactory"]
    frame["completed_median_working_days"] = _median_from_histogram(hist)
    if frame["received"].sum() > 0:  # an empty store or period says nothing about continuity
        frame = frame.join(activity)
    else:
        frame = frame.join(activity[[]].assign(**{m: np.nan for m in COMMUNE_ONLY}))
    frame.index.name = "unit_code"
    return frame.reindex(columns=list(MEASURES)).astype(float), hist


def _city(measures: pd.DataFrame, hist: pd.DataFrame) -> pd.Series:
    """The city: sums over every unit (tickets not placed in a commune included), the largest where
    CITY_MAX says so, and the median of the whole city's histogram (not a median of medians)."""
    city = measures.sum(min_count=1)
    city[list(CITY_MAX)] = measures[list(CITY_MAX)].max()
    whole = hist.assign(unit_code=CITY).groupby(["unit_code", "working_days"], as_index=False)["completed"].sum()
    city["completed_median_working_days"] = _median_from_histogram(whole).get(CITY, np.nan)
    return city


def kpis_from_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """Every KPI of the catalogue from a frame of measures (rows: units). A sum with a missing part is
    missing; a ratio with a zero or missing denominator is missing."""
    column = {m: measures[m].to_numpy(float) for m in measures.columns}
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for kpi in CATALOGUE.values():
            num = sum(column[m] for m in kpi.numerator)
            if kpi.denominator:
                den = sum(column[m] for m in kpi.denominator)
                out[kpi.id] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan) * kpi.scale
            else:
                out[kpi.id] = num
    return pd.DataFrame(out, index=measures.index)


@lru_cache(maxsize=128)
def _cached(url: str, version: int, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    from store.db import engine_for

    measures, hist = _measures(engine_for(url), start, end)
    measures.loc[CITY] = _city(measures, hist)
    return measures, kpis_from_measures(measures).rename_axis("unit_code")


def _key(engine: Engine, start: date, end: date):
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return engine.url.render_as_string(hide_password=False), data_version(engine), start, end


def measure_frame(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """The measures behind the KPIs (rows: units and 'city'; columns: metrics.kpis.MEASURES)."""
    return _cached(*_key(engine, start, end))[0].copy()


def kpi_frame(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """Rows: commune and department codes plus 'city'; columns: KPI ids. NaN = no data."""
    return _cached(*_key(engine, start, end))[1].copy()


def commune_series(engine: Engine, unit_code: str, start: date, end: date) -> dict[str, pd.DataFrame]:
    """The drill-down's series for one unit: dossiers by day, tickets by category, documents by day."""
    d, t, doc = dossier_unit_daily.c, ticket_daily.c, document_counts.c
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
    if scope not in frame.index:
        raise KeyError(scope)
    row = frame.loc[scope]
    return {"scope": scope, "from": start.isoformat(), "to": end.isoformat(), "data_version": data_version(engine),
            "kpis": {k: {"value": None if pd.isna(row[k]) else round(float(row[k]), 6), "unit": CATALOGUE[k].unit,
                         "name_vi": CATALOGUE[k].name_vi, "name_en": CATALOGUE[k].name_en} for k in CATALOGUE}}
