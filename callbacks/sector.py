"""One sector of one commune (/commune/<code>/sector/<slug>): the page, and its redraw from the URL."""
from __future__ import annotations

from dash import Input, Output, State
from sqlalchemy import Engine

from callbacks.context import DRILL_PATH, PageQuery, chart_outputs, pickers_in_url
from layouts import sector as sector_layout
from layouts.commune import not_found
from layouts.components import DrillView, drill_dynamic
from layouts.i18n import t
from layouts.shell import URL
from metrics.breakdown import procedure_breakdown, sector_breakdown, sector_daily
from metrics.units import commune_table


def sector_name(engine: Engine, query: PageQuery, code: str, sector_slug: str) -> str | None:
    """The sector a slug names among the commune's sectors in the period or, failing that, since the merger."""
    for period in (query.period, PageQuery.parse("?period=since_merger").period):
        sectors = sector_breakdown(engine, code, period.start, period.end)
        names = sectors.index[sectors["slug"] == sector_slug]
        if len(names):
            return names[0]
    return None


def sector_view(engine: Engine, query: PageQuery, code: str, sector: str) -> DrillView:
    return DrillView.of(query.period, query.comparison, lambda p: sector_breakdown(engine, code, p.start, p.end),
                        sector, lambda p: sector_daily(engine, code, p.start, p.end, sector))


def trail(query: PageQuery, commune, sector: str | None = None, sector_href: str | None = None) -> list:
    """City › commune [› sector]: the breadcrumb's links keep the period, comparison and language."""
    keep = query.search(kpi=None, sector=None)
    out = [(t("city", query.lang), "/" + keep), (commune["full_name"], f"/commune/{commune['code']}{keep}")]
    return out + ([(sector, sector_href + keep)] if sector else [])


def sector_page(engine: Engine, query: PageQuery, code: str, sector_slug: str):
    communes = commune_table(engine)
    sector = sector_name(engine, query, code, sector_slug) if code in communes.index else None
    if sector is None:
        return not_found(query.lang, f"{code}/{sector_slug}", "/" + query.search(kpi=None, sector=None))
    commune = communes.loc[code]
    base = f"/commune/{code}/sector/{sector_slug}"
    procedures = procedure_breakdown(engine, code, query.period.start, query.period.end, sector)
    return sector_layout.layout(lang=query.lang, trail=trail(query, commune, sector, base), sector=sector,
                                commune_name=commune["full_name"], period_key=query.period.key, cmp=query.cmp,
                                view=sector_view(engine, query, code, sector), procedures=procedures, base=base,
                                search=query.search(kpi=None, sector=None))


def register(app, engine: Engine) -> None:
    ids = sector_layout.ids

    @app.callback(Output(ids.NOTE, "children"), Output(ids.TILES, "children"), *chart_outputs(ids.DAILY),
                  Output(ids.PROCEDURES, "children"), Input(URL, "search"), State(URL, "pathname"),
                  prevent_initial_call=True)
    def redraw(search, pathname):
        query = PageQuery.parse(search)
        match = DRILL_PATH.match(pathname or "")
        code = match.group("code")
        sector = sector_name(engine, query, code, match.group("sector"))
        procedures = procedure_breakdown(engine, code, query.period.start, query.period.end, sector)
        table = sector_layout.procedure_table(procedures, pathname.rstrip("/"), query.search(kpi=None, sector=None),
                                              query.lang)
        return (*drill_dynamic(sector_view(engine, query, code, sector), query.lang, sector), table)

    pickers_in_url(app, ids.PERIOD, ids.CMP)
