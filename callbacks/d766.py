"""The Decision 766 page: its grain (week, month, quarter, year) lives in the URL (`?grain=`)."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery
from layouts import d766 as d766_layout
from layouts.shell import URL
from metrics.score766 import score_period
from metrics.time import local_day, now
from metrics.units import commune_table, department_table


def d766_parts(engine: Engine, query: PageQuery) -> list:
    period, scored = score_period(engine, query.grain or d766_layout.DEFAULT_GRAIN, local_day(now()))
    departments = department_table(engine)
    names = departments["name"] if query.lang == "vi" else departments["name_en"].fillna(departments["name"])
    return d766_layout.body(lang=query.lang, period=period, scored=scored,
                            commune_names=commune_table(engine)["full_name"], department_names=names,
                            link=query.search(grain=None, sort=None, desc=False))


def d766_page(engine: Engine, query: PageQuery):
    return d766_layout.layout(lang=query.lang, grain=query.grain or d766_layout.DEFAULT_GRAIN,
                              parts=d766_parts(engine, query))


def register(app, engine: Engine) -> None:
    @app.callback(Output(d766_layout.ids.BODY, "children"), Input(URL, "search"), State(URL, "pathname"),
                  prevent_initial_call=True)
    def redraw(search, pathname):
        if (pathname or "").rstrip("/") != d766_layout.PATH:
            return no_update
        return d766_parts(engine, PageQuery.parse(search))

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(d766_layout.ids.GRAIN, "value"),
                  State(URL, "search"), prevent_initial_call=True)
    def keep_in_url(grain, search):
        new = PageQuery.parse(search).search(grain=None if grain == d766_layout.DEFAULT_GRAIN else grain)
        return no_update if new == (search or "") else new
