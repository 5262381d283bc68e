"""Overview: a period, KPI or view change patches the visible map's values and the tiles (the geometry is sent
once with the page); a zoom preset patches the map's view only; a click on a commune opens its drill-down."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pandas as pd
from dash import Input, Output, Patch, State, ctx, no_update
from sqlalchemy import Engine

from callbacks.context import PageQuery, day_of, range_in_url
from geo.communes import inset_codes
from geo.web import boundaries_url
from geo.regions import zoom_presets
from geo.tiles import grid_shape, tile_layout
from layouts.components import tiles
from layouts.overview import (MAP_KPIS, MARK_TRACES, SHAPE_TRACES, TILE_MARK_TRACE, VIEWS, ZOOMS, MapValues, clean,
                              colour_axis, hover_template, ids, layout, legend, map_figure, map_values, status_patch,
                              tile_figure, tile_grid, zoom_layout)
from layouts.shell import URL
from metrics.frame import CITY, kpi_frame, rank
from metrics.periods import Period, resolve
from metrics.targets import DATA_START
from metrics.time import local_day, now
from metrics.units import commune_table


RANGE = f"{ids.PERIOD}-range"  # layouts.components.period_range


def previous(period: Period) -> Period | None:
    """The period of the same length just before, or None when it starts before the data does."""
    length = (period.end - period.start).days + 1
    start = period.start - timedelta(days=length)
    return None if start < DATA_START else Period("previous", start, period.start - timedelta(days=1))


def values_for(engine: Engine, kpi_id: str, period: Period, lang: str) -> MapValues:
    """What the map and the tile map show for one KPI and period (see layouts.overview.map_values), from the
    KPI frames of the period and of the one before it."""
    frame = kpi_frame(engine, period.start, period.end)
    codes = commune_table(engine).index.tolist()
    before = previous(period)
    prior = kpi_frame(engine, before.start, before.end)[kpi_id].reindex(codes) if before else \
        pd.Series(index=codes, dtype=float)
    return map_values(kpi_id, frame[kpi_id].reindex(codes), prior, rank(frame, kpi_id, codes).reindex(codes), lang)


def map_patch(values: MapValues, communes: pd.DataFrame, lang: str) -> Patch:
    """The choropleth's values, hover cards and status shapes: never its geometry."""
    insets = inset_codes()
    mainland = [c for c in communes.index if c not in insets]
    fig = Patch()
    template = hover_template(values.kpi_id, values.target, values.ranked, lang)
    for shape_i, mark_i, codes in zip(SHAPE_TRACES, MARK_TRACES, (mainland, insets)):
        fig["data"][shape_i]["z"] = clean(values.z.reindex(codes))
        fig["data"][shape_i]["customdata"] = values.card.reindex(codes).tolist()
        fig["data"][shape_i]["hovertemplate"] = template
        marks = status_patch(values, codes)
        fig["data"][mark_i]["visible"] = marks["visible"]
        fig["data"][mark_i]["marker"]["symbol"] = marks["marker.symbol"]
    fig["layout"]["coloraxis"] = colour_axis(values, lang)
    return fig


def tile_patch(values: MapValues, lang: str) -> Patch:
    layout_, shape = tile_layout(), grid_shape()
    fig = Patch()
    fig["data"][0]["z"] = tile_grid(values.z.round(2), layout_, shape)
    fig["data"][0]["customdata"] = tile_grid(values.card, layout_, shape)
    fig["data"][0]["hovertemplate"] = hover_template(values.kpi_id, values.target, values.ranked, lang)
    marks = status_patch(values, list(layout_.index))
    fig["data"][TILE_MARK_TRACE]["visible"] = marks["visible"]
    fig["data"][TILE_MARK_TRACE]["marker"]["symbol"] = marks["marker.symbol"]
    fig["layout"]["coloraxis"] = colour_axis(values, lang)
    return fig


def map_options(search: str | None) -> tuple[str, str]:
    """(view, zoom) from the URL; unknown values fall back to the map of the whole city."""
    q = _params(search)
    view = q.get("view") if q.get("view") in VIEWS else VIEWS[0]
    zoom = q.get("zoom") if q.get("zoom") in ZOOMS else ZOOMS[0]
    return view, zoom


def _params(search: str | None) -> dict:
    return {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}


def page(engine: Engine, query: PageQuery, search: str | None):
    kpi_id = query.kpi if query.kpi in MAP_KPIS else MAP_KPIS[0]
    view, zoom = map_options(search)
    frame = kpi_frame(engine, query.period.start, query.period.end)
    communes = commune_table(engine)
    values = values_for(engine, kpi_id, query.period, query.lang)
    fig = map_figure(values, communes, boundaries_url(), inset_codes(), zoom, zoom_presets(), query.lang)
    tile_fig = tile_figure(values, communes, tile_layout(), grid_shape(), query.lang)
    return layout(lang=query.lang, period=query.period, kpi_id=kpi_id, view=view, zoom=zoom,
                  city_row=frame.loc[CITY], figure=fig, tile_fig=tile_fig, values=values)


def register(app, engine: Engine) -> None:
    # Outputs only inside the page: Dash then honours prevent_initial_call when the router inserts it.
    @app.callback(Output(ids.MAP, "figure"), Output(ids.TILE_MAP, "figure"), Output(ids.TILES, "children"),
                  Output(ids.LEGEND, "children"), Output(ids.MAP_BOX, "hidden"), Output(ids.TILE_BOX, "hidden"),
                  Input(ids.PERIOD, "value"), Input(ids.KPI, "value"), Input(ids.VIEW, "value"),
                  Input(ids.ZOOM, "value"), Input(RANGE, "start_date"), Input(RANGE, "end_date"),
                  State(URL, "search"), prevent_initial_call=True)
    def update_values(period_key, kpi_id, view, zoom, first, last, search):
        query = PageQuery.parse(search)
        view = view if view in VIEWS else VIEWS[0]
        shown = (view != "map", view != "tiles")
        if ctx.triggered_id == ids.ZOOM:  # the view only: no values
            fig = Patch()
            for key, part in zoom_layout(zoom if zoom in ZOOMS else ZOOMS[0], zoom_presets(), query.lang).items():
                fig["layout"][key] = part
            return fig, no_update, no_update, no_update, *shown
        kpi_id = kpi_id if kpi_id in MAP_KPIS else MAP_KPIS[0]
        period = resolve(period_key, local_day(now()), day_of(first), day_of(last))  # the range: custom only
        values = values_for(engine, kpi_id, period, query.lang)
        communes = commune_table(engine)
        # only the visible view is patched; the other is patched when it is shown
        map_out = map_patch(values, communes, query.lang) if view == "map" else no_update
        tile_out = tile_patch(values, query.lang) if view == "tiles" else no_update
        if ctx.triggered_id == ids.VIEW:
            return map_out, tile_out, no_update, no_update, *shown
        frame = kpi_frame(engine, period.start, period.end)
        return map_out, tile_out, tiles(frame.loc[CITY], query.lang), legend(values, query.lang), *shown

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(ids.PERIOD, "value"), Input(ids.KPI, "value"),
                  Input(ids.VIEW, "value"), Input(ids.ZOOM, "value"), State(URL, "search"),
                  prevent_initial_call=True)
    def keep_in_url(period_key, kpi_id, view, zoom, search):
        query = PageQuery.parse(search)
        new = query.search(period=period_key, kpi=None if kpi_id == MAP_KPIS[0] else kpi_id,
                           view=None if view == VIEWS[0] else view, zoom=None if zoom == ZOOMS[0] else zoom)
        return no_update if new == (search or "") else new

    range_in_url(app, ids.PERIOD)

    @app.callback(Output(URL, "pathname"), Input(ids.MAP, "clickData"), prevent_initial_call=True)
    def open_commune(click):
        if not click or not click.get("points") or "location" not in click["points"][0]:
            return no_update
        return f"/commune/{click['points'][0]['location']}"

    @app.callback(Output(URL, "pathname", allow_duplicate=True), Input(ids.TILE_MAP, "clickData"),
                  prevent_initial_call=True)
    def open_commune_from_tile(click):
        point = (click or {}).get("points", [{}])[0]
        code = tile_code(point.get("x"), point.get("y"))
        return f"/commune/{code}" if code else no_update


def tile_code(col, row) -> str | None:
    """The commune in a tile map cell, or None for an empty cell."""
    if col is None or row is None:
        return None
    layout_ = tile_layout()
    hit = layout_[(layout_["col"] == int(col)) & (layout_["row"] == int(row))]
    return hit.index[0] if len(hit) else None
