"""A commune's drill-down: a period change redraws its tiles and series and updates the URL."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery
from layouts.commune import figures, ids
from layouts.components import tiles
from layouts.shell import URL
from metrics.frame import commune_series, kpi_frame
from metrics.periods import resolve
from metrics.time import local_day, now


def register(app, engine: Engine) -> None:
    @app.callback(Output(ids.TILES, "children"), Output(ids.DOSSIERS, "figure"), Output(ids.TICKETS, "figure"),
                  Output(ids.DOCUMENTS, "figure"),
                  Input(ids.PERIOD, "value"), State(ids.CODE, "data"), State(URL, "search"),
                  prevent_initial_call=True)
    def update_period(period_key, code, search):
        query = PageQuery.parse(search)
        period = resolve(period_key, local_day(now()))
        row = kpi_frame(engine, period.start, period.end).loc[code]
        dossiers, tickets_fig, documents = figures(commune_series(engine, code, period.start, period.end), query.lang)
        return tiles(row, query.lang), dossiers, tickets_fig, documents

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(ids.PERIOD, "value"), State(URL, "search"),
                  prevent_initial_call=True)
    def keep_in_url(period_key, search):
        new = PageQuery.parse(search).search(period=period_key)
        return no_update if new == (search or "") else new
