"""The router: the URL's path picks the page; the page's state (language, period, KPI) is its query."""
from __future__ import annotations

import re

from dash import Input, Output, State, html
from sqlalchemy import Engine

from callbacks.context import PageQuery, freshness
from callbacks.snapshots import snapshots_page
from callbacks.sources import sources_page
from geo.communes import boundaries_geojson, inset_codes
from layouts import commune as commune_layout
from layouts import overview as overview_layout
from layouts import snapshots as snapshots_layout
from layouts import sources as sources_layout
from layouts.components import format_kpi
from layouts.i18n import t
from layouts.shell import PAGE, URL, header
from metrics.frame import CITY, commune_series, kpi_frame
from metrics.units import commune_table

COMMUNE_PATH = re.compile(r"^/commune/(?P<code>[^/]+)/?$")


def overview_page(engine: Engine, query: PageQuery):
    kpi_id = query.kpi if query.kpi in overview_layout.MAP_KPIS else overview_layout.MAP_KPIS[0]
    frame = kpi_frame(engine, query.period.start, query.period.end)
    communes = commune_table(engine)
    traces = overview_layout.map_traces(frame, communes, inset_codes(), kpi_id, query.lang, format_kpi)
    fig = overview_layout.map_figure(boundaries_geojson(), traces, kpi_id, query.lang)
    return overview_layout.layout(lang=query.lang, period_key=query.period.key, kpi_id=kpi_id,
                                  city_row=frame.loc[CITY], figure=fig)


def commune_page(engine: Engine, query: PageQuery, code: str):
    communes = commune_table(engine)
    home = "/" + query.search(kpi=None)
    if code not in communes.index:
        return commune_layout.not_found(query.lang, code, home)
    frame = kpi_frame(engine, query.period.start, query.period.end)
    series = commune_series(engine, code, query.period.start, query.period.end)
    return commune_layout.layout(lang=query.lang, period_key=query.period.key, commune=communes.loc[code],
                                 row=frame.loc[code], series=series, home_href=home)


def register(app, engine: Engine) -> None:
    settings = app.server.config["IOC_SETTINGS"]

    @app.callback(Output(PAGE, "children"), Input(URL, "pathname"), State(URL, "search"))
    def route(pathname, search):
        query = PageQuery.parse(search)
        other = "en" if query.lang == "vi" else "vi"
        top = header(query.lang, freshness(engine, settings.sources_file),
                     lang_href=f"{pathname or '/'}{query.search(lang=other)}")
        match = COMMUNE_PATH.match(pathname or "/")
        if match:
            body = commune_page(engine, query, match.group("code"))
        elif (pathname or "/") == "/":
            body = overview_page(engine, query)
        elif (pathname or "/").rstrip("/") == sources_layout.PATH:
            body = sources_page(engine, query, settings.sources_file)
        elif (pathname or "/").rstrip("/") == snapshots_layout.PATH:
            body = snapshots_page(engine, query)
        else:
            body = html.Div([html.H1(t("not_found", query.lang))], className="not-found")
        return [top, body]
