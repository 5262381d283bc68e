"""KPI frames: every KPI of the catalogue for every unit (and the city) over a period, from rollups.

The frame is cached per (database, data version, period): a new batch bumps the version, so a
cached frame is never stale and never recomputed while the data stands still.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, func, select

from metrics.kpis import CATALOGUE
from store import writes
from store.schema import communes, document_counts, dossier_daily, ticket_daily

CITY = "city"
MEASURES = ("received", "received_online", "received_full_online", "completed", "completed_early",
            "completed_on_time", "completed_late")


def data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return writes.current_data_version(conn)[0]


def _measures(engine: Engine, start: date, end: date) -> pd.DataFrame:
    d, t, doc = dossier_daily.c, ticket_daily.c, document_counts.c
    in_period = d.day.between(start, end)
    with engine.connect() as conn:
        dossier = pd.DataFrame(conn.execute(
            select(d.unit_code, *(func.sum(d[m]).label(m) for m in MEASURES))
            .where(in_period).group_by(d.unit_code)).mappings().all(), columns=["unit_code", *MEASURES])
        tick = pd.DataFrame(conn.execute(
            select(t.unit_code,
                   func.sum(t.received).filter(t.day >= start).label("tickets_received"),
                   func.sum(t.closed).filter(t.day >= start).label("tickets_closed"),
                   func.sum(t.closed_on_time).filter(t.day >= start).label("tickets_closed_on_time"),
                   (func.sum(t.received) - func.sum(t.closed)).label("tickets_open"))
            .where(t.day <= end).group_by(t.unit_code)).mappings().all(),
            columns=["unit_code", "tickets_received", "tickets_closed", "tickets_closed_on_time", "tickets_open"])
        docs = pd.DataFrame(conn.execute(
            select(doc.unit_code, func.sum(doc.total).label("documents_total"),
                   func.sum(doc.digitally_signed).label("documents_signed"))
            .where(doc.day.between(start, end)).group_by(doc.unit_code)).mappings().all(),
            columns=["unit_code", "documents_total", "documents_signed"])
    frame = dossier.set_index("unit_code").join(tick.set_index("unit_code"), how="outer") \
        .join(docs.set_index("unit_code"), how="outer")
    return frame.astype(float)


def _kpis(measures: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=measures.index)
    for kpi in CATALOGUE.values():
        num = measures[list(kpi.numerator)].sum(axis=1, min_count=1)
        if kpi.denominator:
            den = measures[list(kpi.denominator)].sum(axis=1, min_count=1)
            out[kpi.id] = (num / den.where(den > 0)) * 100.0
        else:
            out[kpi.id] = num
    return out


@lru_cache(maxsize=64)
def _cached_frame(url: str, version: int, start: date, end: date) -> pd.DataFrame:
    from store.db import engine_for

    engine = engine_for(url)
    measures = _measures(engine, start, end)
    with engine.connect() as conn:
        codes = [r[0] for r in conn.execute(select(communes.c.code))]
    city = measures.drop(index="", errors="ignore").sum(min_count=1).to_frame(CITY).T
    # Every commune gets a row: one without records shows "no data", it does not vanish from the map.
    units = measures.reindex(measures.index.union(pd.Index(codes)))
    frame = _kpis(pd.concat([units, city]))
    frame.index.name = "unit_code"
    return frame


def kpi_frame(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """Rows: commune and department codes plus 'city'; columns: KPI ids. NaN = no data."""
    return _cached_frame(engine.url.render_as_string(hide_password=False), data_version(engine), start, end).copy()


def commune_series(engine: Engine, unit_code: str, start: date, end: date) -> dict[str, pd.DataFrame]:
    """The drill-down's series for one unit: dossiers by day, tickets by category, documents by day."""
    d, t, doc = dossier_daily.c, ticket_daily.c, document_counts.c
    with engine.connect() as conn:
        dossiers = pd.DataFrame(conn.execute(
            select(d.day, func.sum(d.received).label("received"),
                   (func.sum(d.completed_early) + func.sum(d.completed_on_time)).label("completed_on_time"),
                   func.sum(d.completed_late).label("completed_late"))
            .where(d.unit_code == unit_code, d.day.between(start, end)).group_by(d.day).order_by(d.day))
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

