"""The router: the URL's path picks the page; the page's state (language, period, KPI) is its query."""
from __future__ import annotations

import re

from dash import Input, Output, State, html
from sqlalchemy import Engine

from callbacks import overview as overview_callbacks
from callbacks import wall as wall_callbacks
from callbacks.context import PageQuery, freshness
from callbacks.sources import sources_page
from layouts import commune as commune_layout
from layouts import sources as sources_layout
from layouts import wall as wall_layout
from layouts.i18n import t
from layouts.shell import PAGE, URL, header
from metrics.frame import commune_series, kpi_frame
from metrics.units import commune_table

COMMUNE_PATH = re.compile(r"^/commune/(?P<code>[^/]+)/?$")


def overview_page(engine: Engine, query: PageQuery, search: str | None = None):
    return overview_callbacks.page(engine, query, search)


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
        if (pathname or "/").rstrip("/") == wall_layout.PATH:  # the wall: no navigation chrome
            return wall_callbacks.page(engine, search, settings.sources_file)
        query = PageQuery.parse(search)
        other = "en" if query.lang == "vi" else "vi"
        top = header(query.lang, freshness(engine, settings.sources_file),
                     lang_href=f"{pathname or '/'}{query.search(lang=other)}")
        match = COMMUNE_PATH.match(pathname or "/")
        if match:
            body = commune_page(engine, query, match.group("code"))
        elif (pathname or "/") == "/":
            body = overview_page(engine, query, search)
        elif (pathname or "/").rstrip("/") == sources_layout.PATH:
            body = sources_page(engine, query, settings.sources_file)
        else:
            body = html.Div([html.H1(t("not_found", query.lang))], className="not-found")
        return [top, body]
