"""Overview: a period or KPI change patches the map's values and the tiles (the geometry is sent once);
a click on a commune opens its drill-down."""
from __future__ import annotations

from dash import Input, Output, Patch, State, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery
from layouts.components import format_kpi, tiles
from geo.communes import inset_codes
from layouts.overview import MAP_KPIS, colour_axis, ids, map_traces
from layouts.shell import URL
from metrics.frame import CITY, kpi_frame
from metrics.periods import resolve
from metrics.time import local_day, now
from metrics.units import commune_table


def register(app, engine: Engine) -> None:
    # Outputs only inside the page: Dash then honours prevent_initial_call when the router inserts it.
    @app.callback(Output(ids.MAP, "figure"), Output(ids.TILES, "children"),
                  Input(ids.PERIOD, "value"), Input(ids.KPI, "value"), State(URL, "search"),
                  prevent_initial_call=True)
    def update_values(period_key, kpi_id, search):
        query = PageQuery.parse(search)
        kpi_id = kpi_id if kpi_id in MAP_KPIS else MAP_KPIS[0]
        period = resolve(period_key, local_day(now()))
        frame = kpi_frame(engine, period.start, period.end)
        communes = commune_table(engine)
        fig = Patch()  # values only: the geometry was sent once with the page
        for i, (_, z, text) in enumerate(map_traces(frame, communes, inset_codes(), kpi_id, query.lang, format_kpi)):
            fig["data"][i]["z"] = z
            fig["data"][i]["text"] = text
        fig["layout"]["coloraxis"] = colour_axis(kpi_id, query.lang)
        return fig, tiles(frame.loc[CITY], query.lang)

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(ids.PERIOD, "value"), Input(ids.KPI, "value"),
                  State(URL, "search"), prevent_initial_call=True)
    def keep_in_url(period_key, kpi_id, search):
        query = PageQuery.parse(search)
        new = query.search(period=period_key, kpi=None if kpi_id == MAP_KPIS[0] else kpi_id)
        return no_update if new == (search or "") else new

    @app.callback(Output(URL, "pathname"), Input(ids.MAP, "clickData"), prevent_initial_call=True)
    def open_commune(click):
        if not click or not click.get("points"):
            return no_update
        return f"/commune/{click['points'][0]['location']}"
