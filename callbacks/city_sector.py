"""One sector across the city (/sector/<slug>): the page, and its redraw from the URL."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery, chart_outputs, pickers_in_url
from layouts import city_sector as city_sector_layout
from layouts.commune import not_found
from layouts.components import DrillView, drill_dynamic
from layouts.i18n import t
from layouts.shell import URL
from metrics.breakdown import sector_breakdown, sector_daily, sector_units
from metrics.units import commune_table


def city_sector_name(engine: Engine, query: PageQuery, sector_slug: str) -> str | None:
    """The sector a slug names among the city's sectors in the period or, failing that, since the merger."""
    for period in (query.period, PageQuery.parse("?period=since_merger").period):
        sectors = sector_breakdown(engine, None, period.start, period.end)
        names = sectors.index[sectors["slug"] == sector_slug]
        if len(names):
            return names[0]
    return None


def city_sector_view(engine: Engine, query: PageQuery, sector: str) -> DrillView:
    return DrillView.of(query.period, query.comparison, lambda p: sector_breakdown(engine, None, p.start, p.end),
                        sector, lambda p: sector_daily(engine, None, p.start, p.end, sector))


def units_part(engine: Engine, query: PageQuery, sector: str, sector_slug: str):
    return city_sector_layout.units_table(sector_units(engine, sector, query.period.start, query.period.end),
                                          commune_table(engine)["full_name"], sector_slug,
                                          query.search(kpi=None, sector=None), query.lang)


def city_sector_page(engine: Engine, query: PageQuery, sector_slug: str):
    home = "/" + query.search(kpi=None, sector=None)
    sector = city_sector_name(engine, query, sector_slug)
    if sector is None:
        return not_found(query.lang, sector_slug, home)
    return city_sector_layout.layout(lang=query.lang, trail=[(t("city", query.lang), home), (sector, None)],
                                     sector=sector, period_key=query.period.key, cmp=query.cmp,
                                     view=city_sector_view(engine, query, sector),
                                     units_part=units_part(engine, query, sector, sector_slug))


def register(app, engine: Engine) -> None:
    ids = city_sector_layout.ids

    @app.callback(Output(ids.NOTE, "children"), Output(ids.TILES, "children"), *chart_outputs(ids.DAILY),
                  Output(ids.UNITS, "children"), Input(URL, "search"), State(URL, "pathname"),
                  prevent_initial_call=True)
    def redraw(search, pathname):
        if not (pathname or "").startswith(city_sector_layout.PATH):
            return (no_update,) * 6
        query = PageQuery.parse(search)
        sector_slug = pathname[len(city_sector_layout.PATH):].strip("/")
        sector = city_sector_name(engine, query, sector_slug)
        return (*drill_dynamic(city_sector_view(engine, query, sector), query.lang, sector),
                units_part(engine, query, sector, sector_slug))

    pickers_in_url(app, ids.PERIOD, ids.CMP)
