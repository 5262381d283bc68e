"""The ranking page: the KPI, period and comparison pickers write the URL; the table is redrawn from it."""
from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery, range_in_url
from layouts import ranking as ranking_layout
from layouts.components import format_kpi, period_note
from layouts.plan02 import SIGN
from layouts.ranking import DEFAULT_KPI, RANK_KPIS, ids
from layouts.shell import URL
from metrics.frame import kpi_frame, rank
from metrics.targets import band, commune_target
from metrics.units import commune_table


def ranking_rows(engine: Engine, query: PageQuery, kpi_id: str) -> pd.DataFrame:
    """One row per commune: name, type, value, rank (1 = best), the comparison's value and change, and
    its status against the commune target (green / amber / red / no data, judged as the map judges it;
    None without a target)."""
    communes = commune_table(engine)
    codes = list(communes.index)
    frame = kpi_frame(engine, query.period.start, query.period.end)
    rows = pd.DataFrame({"name": communes["full_name"], "type": communes["type"],
                         "value": frame[kpi_id].reindex(codes)})
    rows["rank"] = rank(frame, kpi_id, codes).reindex(codes)
    compared = query.comparison
    rows["previous"] = kpi_frame(engine, compared.start, compared.end)[kpi_id].reindex(codes) if compared else np.nan
    rows["change"] = rows["value"] - rows["previous"]
    target = commune_target(kpi_id)
    rows["status"] = [None if target is None else band(target, v) for v in rows["value"]]
    return rows


def target_text(kpi_id: str, lang: str) -> str | None:
    target = commune_target(kpi_id)
    if target is None:
        return None
    return f"{SIGN[target.comparison]} {format_kpi(kpi_id, target.threshold, lang)} ({target.source})"


def ranking_page(engine: Engine, query: PageQuery):
    kpi_id = query.kpi if query.kpi in RANK_KPIS else DEFAULT_KPI
    return ranking_layout.layout(lang=query.lang, query=query, kpi_id=kpi_id,
                                 rows=ranking_rows(engine, query, kpi_id), target_text=target_text(kpi_id, query.lang))


def register(app, engine: Engine) -> None:
    @app.callback(Output(ids.NOTE, "children"), Output(ids.TABLE, "children"), Input(URL, "search"),
                  State(URL, "pathname"), prevent_initial_call=True)
    def redraw(search, pathname):
        if (pathname or "").rstrip("/") != ranking_layout.PATH:
            return no_update, no_update
        query = PageQuery.parse(search)
        kpi_id = query.kpi if query.kpi in RANK_KPIS else DEFAULT_KPI
        return (period_note(query.period, query.comparison, query.lang),
                ranking_layout.ranking_table(ranking_rows(engine, query, kpi_id), kpi_id, query, query.lang,
                                             target_text(kpi_id, query.lang)))

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(ids.KPI, "value"), Input(ids.PERIOD, "value"),
                  Input(ids.CMP, "value"), State(URL, "search"), prevent_initial_call=True)
    def keep_in_url(kpi_id, period_key, cmp, search):
        new = PageQuery.parse(search).search(kpi=None if kpi_id == DEFAULT_KPI else kpi_id, period=period_key,
                                             cmp=None if cmp == "none" else cmp)
        return no_update if new == (search or "") else new

    range_in_url(app, ids.PERIOD)
