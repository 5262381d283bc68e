"""One procedure of one commune (/commune/<code>/sector/<slug>/procedure/<code>): the page and its redraw."""
from __future__ import annotations

from dash import Input, Output, State
from sqlalchemy import Engine

from callbacks.context import DRILL_PATH, PageQuery, chart_outputs, pickers_in_url
from callbacks.sector import sector_name, trail
from layouts import procedure as procedure_layout
from layouts.commune import not_found
from layouts.components import DrillView, drill_dynamic
from layouts.shell import URL
from metrics.breakdown import procedure_breakdown, procedure_daily
from metrics.early_warning import early_warning
from metrics.time import now
from metrics.units import commune_table


def procedure_view(engine: Engine, query: PageQuery, code: str, procedure: str) -> DrillView:
    return DrillView.of(query.period, query.comparison, lambda p: procedure_breakdown(engine, code, p.start, p.end),
                        procedure, lambda p: procedure_daily(engine, code, p.start, p.end, procedure))


def procedure_page(engine: Engine, query: PageQuery, code: str, sector_slug: str, procedure: str):
    communes = commune_table(engine)
    sector = sector_name(engine, query, code, sector_slug) if code in communes.index else None
    warnings = early_warning(engine, now(), code) if sector else None
    view = procedure_view(engine, query, code, procedure) if sector else None
    known = view is not None and (view.row is not None or (warnings["procedure_code"] == procedure).any())
    if not known:
        return not_found(query.lang, f"{code}/{sector_slug}/{procedure}", "/" + query.search(kpi=None, sector=None))
    commune = communes.loc[code]
    name = view.row["procedure_name"] if view.row is not None else \
        warnings.loc[warnings["procedure_code"] == procedure, "procedure_name"].iloc[0]
    base = f"/commune/{code}/sector/{sector_slug}"
    return procedure_layout.layout(
        lang=query.lang, trail=trail(query, commune, sector, base) + [(name, None)], code=procedure, name=name,
        sector=sector, commune_name=commune["full_name"], period_key=query.period.key, cmp=query.cmp, view=view,
        warnings=warnings[warnings["procedure_code"] == procedure])


def register(app, engine: Engine) -> None:
    ids = procedure_layout.ids

    @app.callback(Output(ids.NOTE, "children"), Output(ids.TILES, "children"), *chart_outputs(ids.DAILY),
                  Input(URL, "search"), State(URL, "pathname"), prevent_initial_call=True)
    def redraw(search, pathname):
        query = PageQuery.parse(search)
        match = DRILL_PATH.match(pathname or "")
        view = procedure_view(engine, query, match.group("code"), match.group("procedure"))
        title = view.row["procedure_name"] if view.row is not None else match.group("procedure")
        return drill_dynamic(view, query.lang, title)

    pickers_in_url(app, ids.PERIOD, ids.CMP)
