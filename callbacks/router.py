"""The router: the URL's path picks the page; the page's state (language, period, KPI) is its query."""
from __future__ import annotations

from dash import Input, Output, State, html
from sqlalchemy import Engine

from callbacks import overview as overview_callbacks
from callbacks import wall as wall_callbacks
from callbacks.city_sector import city_sector_page
from callbacks.commune import commune_page
from callbacks.context import DRILL_PATH, PageQuery, freshness
from callbacks.d766 import d766_page
from callbacks.plan02 import plan02_page
from callbacks.procedure import procedure_page
from callbacks.ranking import ranking_page
from callbacks.sector import sector_page
from callbacks.snapshots import snapshots_page
from callbacks.sources import sources_page
from layouts import city_sector as city_sector_layout
from layouts import d766 as d766_layout
from layouts import plan02 as plan02_layout
from layouts import ranking as ranking_layout
from layouts import snapshots as snapshots_layout
from layouts import sources as sources_layout
from layouts import wall as wall_layout
from layouts.i18n import t
from layouts.shell import PAGE, URL, header


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
        match = DRILL_PATH.match(pathname or "/")
        if match and match.group("procedure"):
            body = procedure_page(engine, query, match.group("code"), match.group("sector"), match.group("procedure"))
        elif match and match.group("sector"):
            body = sector_page(engine, query, match.group("code"), match.group("sector"))
        elif match:
            body = commune_page(engine, query, match.group("code"))
        elif (pathname or "/") == "/":
            body = overview_callbacks.page(engine, query, search)
        elif (pathname or "/").rstrip("/") == sources_layout.PATH:
            body = sources_page(engine, query, settings.sources_file)
        elif (pathname or "/").rstrip("/") == ranking_layout.PATH:
            body = ranking_page(engine, query)
        elif (pathname or "/").rstrip("/") == plan02_layout.PATH:
            body = plan02_page(engine, query)
        elif (pathname or "/").rstrip("/") == d766_layout.PATH:
            body = d766_page(engine, query)
        elif (pathname or "/").startswith(city_sector_layout.PATH):
            body = city_sector_page(engine, query, pathname[len(city_sector_layout.PATH):].strip("/"))
        elif (pathname or "/").rstrip("/") == snapshots_layout.PATH:
            body = snapshots_page(engine, query)
        else:
            body = html.Div([html.H1(t("not_found", query.lang))], className="not-found")
        return [top, body]
