"""A commune's drill-down. The URL is the state: the period and comparison pickers and a click on a sector
bar write the query string, and one callback redraws the page's parts from it."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery, pickers_in_url
from layouts import commune as commune_layout
from layouts.commune import CommuneView, ids
from layouts.shell import URL
from metrics.breakdown import every_day, procedure_breakdown, sector_breakdown, sector_daily
from metrics.early_warning import early_warning
from metrics.frame import commune_series, kpi_frame
from metrics.time import now
from metrics.units import commune_table

DYNAMIC = (ids.NOTE, ids.TILES, ids.DOSSIERS, ids.TICKETS, ids.DOCUMENTS, ids.SECTORS, ids.SECTOR_TABLE, ids.FILTER,
           ids.PROCEDURES) + tuple(f"{g}-{part}" for g in commune_layout.CHARTS for part in ("figure", "table"))
# a chart's figure, its accessible name (the <figure>'s aria-label); the rest are children
_PROPERTY = {**{g: "figure" for g in commune_layout.CHARTS},
             **{f"{g}-figure": "aria-label" for g in commune_layout.CHARTS}}


def commune_view(engine: Engine, query: PageQuery, code: str) -> CommuneView:
    period, compared = query.period, query.comparison
    sectors = sector_breakdown(engine, code, period.start, period.end)
    by_slug = dict(zip(sectors["slug"], sectors.index))
    sector = by_slug.get(query.sector)  # an unknown slug (no dossiers in this period) filters nothing
    daily = (lambda p: sector_daily(engine, code, p.start, p.end, sector)) if sector else \
        (lambda p: every_day(commune_series(engine, code, p.start, p.end)["dossiers"], p.start, p.end))
    series = commune_series(engine, code, period.start, period.end)
    series["dossiers"] = every_day(series["dossiers"], period.start, period.end)
    if sector:  # the tiles follow the filter too: the sector's own figures in this commune
        before = sector_breakdown(engine, code, compared.start, compared.end) if compared else None
        row = sectors.loc[sector]
        previous = before.loc[sector] if before is not None and sector in before.index else None
    else:
        row = kpi_frame(engine, period.start, period.end).loc[code]
        previous = kpi_frame(engine, compared.start, compared.end).loc[code] if compared else None
    return CommuneView(
        code=code, base=f"/commune/{code}", search=query, period=period, compared=compared, row=row,
        previous=previous,
        series=series,
        compared_series=daily(compared) if compared else None, sectors=sectors, sector=sector,
        sector_series=daily(period) if sector else None,
        procedures=procedure_breakdown(engine, code, period.start, period.end, sector))


def commune_page(engine: Engine, query: PageQuery, code: str):
    communes = commune_table(engine)
    home = "/" + query.search(kpi=None, sector=None)
    if code not in communes.index:
        return commune_layout.not_found(query.lang, code, home)
    return commune_layout.layout(lang=query.lang, period_key=query.period.key, cmp=query.cmp,
                                 commune=communes.loc[code], view=commune_view(engine, query, code),
                                 warnings=early_warning(engine, now(), code), home_href=home)


def register(app, engine: Engine) -> None:
    # The pickers are outputs too: going back in the browser's history shows the period, its days and the
    # comparison the restored URL says (their own callback then finds the URL already right).
    @app.callback(*[Output(i, _PROPERTY.get(i, "children")) for i in DYNAMIC],
                  Output(ids.PERIOD, "value"), Output(ids.CMP, "value"), Output(ids.RANGE, "start_date"),
                  Output(ids.RANGE, "end_date"), Input(URL, "search"), State(ids.CODE, "data"), prevent_initial_call=True)
    def redraw(search, code):
        query = PageQuery.parse(search)
        parts = commune_layout.dynamic(commune_view(engine, query, code), query.lang)
        return [parts[i] for i in DYNAMIC] + [query.period.key, query.cmp or "none", query.period.start.isoformat(),
                                              query.period.end.isoformat()]

    pickers_in_url(app, ids.PERIOD, ids.CMP)

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(ids.SECTORS, "clickData"),
                  State(URL, "search"), prevent_initial_call=True)
    def filter_by_sector(click, search):
        """A click on a sector's bar filters the daily chart and the procedure table; a second click clears."""
        if not click or not click.get("points"):
            return no_update
        query = PageQuery.parse(search)
        chosen = click["points"][0].get("customdata")
        return query.search(sector=None if chosen == query.sector else chosen)
