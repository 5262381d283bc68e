"""Overview: city tiles, the choropleth of the 168 communes and the equal-tile map.

A KPI with a commune-level target colours communes by status (met / close / below, layouts.status), with the
status also drawn as a shape on each commune and written in the hover card; a KPI without one is coloured by
value. The geometry is sent once with the page; every later change patches values only (`map_patch`).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from dash import dcc, html

from layouts import status as st
from layouts.components import format_kpi, period_picker, period_range, tiles
from layouts.export import control as export_control
from layouts.i18n import number, t
from metrics.kpis import CATALOGUE
from metrics.periods import Period
from metrics.targets import Target, band, commune_target

MAP_KPIS = ("on_time_rate", "online_share", "full_online_share", "dossiers_received", "tickets_open",
            "documents_signed_share")
VIEWS = ("map", "tiles")
ZOOMS = ("city", "core", "binh_duong", "ba_ria_vung_tau", "con_dao")


class ids:
    PERIOD = "overview-period"
    KPI = "overview-kpi"
    TILES = "overview-tiles"
    MAP = "overview-map"
    TILE_MAP = "overview-tile-map"
    VIEW = "overview-view"
    ZOOM = "overview-zoom"
    LEGEND = "overview-legend"
    MAP_BOX = "overview-map-box"
    TILE_BOX = "overview-tile-box"


# Plotly's geo subplot would fetch a world topology from a CDN; the map needs none (no base layers),
# and this points any request at the app's own assets so nothing leaves a closed network.
MAP_CONFIG = {"topojsonURL": "/assets/topojson/", "displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
TILE_CONFIG = {"displaylogo": False, "displayModeBar": False}
# traces of the choropleth figure: shapes (mainland, inset), then the status shapes on them
SHAPE_TRACES, MARK_TRACES = (0, 1), (2, 3)
TILE_MARK_TRACE = 1  # the tile map: the tiles, then their status shapes


@dataclass(frozen=True)
class MapValues:
    """What the map shows for one KPI and period, per commune code (the figure's values, not its geometry)."""

    kpi_id: str
    target: Target | None
    z: pd.Series            # status index (0 red … 2 green) with a target, else the value; None = no data
    status: pd.Series       # status per commune ("no data" without a value; "" without a target)
    card: pd.Series         # per commune: [value, rank, trend, status label] for the hover card
    ranked: int             # how many communes have a value to be ranked


def clean(values) -> list:
    """Values for a figure: no data stays None (never drawn as 0)."""
    return [None if v is None or pd.isna(v) else round(float(v), 2) for v in values]


def trend_text(now, before, kpi_id: str, lang: str) -> str:
    """The change against the previous period: percentage points for a rate, the count's change otherwise."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return "–"
    delta = float(now) - float(before)
    decimals = 1 if CATALOGUE[kpi_id].unit == "percent" else 0
    text = number(abs(delta), lang, decimals)
    return ("+" if delta > 0 else "-" if delta < 0 else "±") + text


def hover_template(kpi_id: str, target: Target | None, ranked: int, lang: str) -> str:
    kpi = CATALOGUE[kpi_id]
    unit = (" " + ("điểm %" if lang == "vi" else "pp")) if kpi.unit == "percent" else ""
    lines = ["<b>%{text}</b>", f"{kpi.name(lang)}: %{{customdata[0]}}",
             f"{t('rank', lang)}: %{{customdata[1]}} / {ranked}",
             f"{t('trend_prev', lang)}: %{{customdata[2]}}{unit}"]
    if target is not None:
        lines.append("%{customdata[3]}")
    return "<br>".join(lines) + "<extra></extra>"


def name_text(communes: pd.DataFrame, codes: list[str], lang: str) -> list[str]:
    """The static part of the hover card: name and type (sent once with the page)."""
    rows = communes.loc[codes, ["full_name", "type"]]
    kinds = {kind: t("type_" + kind, lang) for kind in set(rows["type"])}
    return [f"{name} · {kinds[kind]}" for name, kind in zip(rows["full_name"].tolist(), rows["type"].tolist())]


def map_values(kpi_id: str, value: pd.Series, prior: pd.Series, ranks: pd.Series, lang: str) -> MapValues:
    """Per commune (the series' index): status against the KPI's commune target (when it has one), and the hover
    card's value, rank among the communes and change against the previous period. Pages and exports alike."""
    target = commune_target(kpi_id)
    status = [band(target, v) if target else "" for v in value.to_numpy()]
    words = {s: st.label(s, lang, short=True) for s in set(status)} if target else {"": ""}
    card = [[format_kpi(kpi_id, v, lang), "–" if pd.isna(r) else str(int(r)), trend_text(v, p, kpi_id, lang), words[s]]
            for v, r, p, s in zip(value.to_numpy(), ranks.to_numpy(), prior.to_numpy(), status)]
    z = [st.ORDER.index(s) if s in st.ORDER else None for s in status] if target else value.to_numpy()
    codes = value.index
    return MapValues(kpi_id, target, pd.Series(z, index=codes, dtype=float), pd.Series(status, index=codes),
                     pd.Series(card, index=codes), int(value.notna().sum()))


def status_patch(values: MapValues, codes: list[str]) -> dict:
    """The status shapes for `codes`: marker symbols, hidden when the KPI has no target."""
    return {"visible": values.target is not None,
            "marker.symbol": [st.SYMBOLS.get(values.status.get(c), "circle-open") for c in codes]}


def colour_axis(values: MapValues, lang: str) -> dict:
    if values.target is not None:
        return {"colorscale": st.colourscale(), "cmin": 0, "cmax": len(st.ORDER), "showscale": False}
    kpi = CATALOGUE[values.kpi_id]
    # Cividis is readable with every common colour-vision deficiency; reversed when lower is better.
    return {"colorscale": "Cividis" if kpi.better == "higher" else "Cividis_r", "cmin": None, "cmax": None,
            "showscale": True, "colorbar": {"title": {"text": kpi.name(lang), "side": "right"}, "thickness": 14}}


def _features(geojson: dict | str, wanted: set[str]) -> dict | str:
    """A URL as is (the browser fetches it once for both traces: geo/web.py); an object cut to each
    trace's own shapes so its geometry is carried once (a picture drawn offline, exports/png.py)."""
    if isinstance(geojson, str):
        return geojson
    return {**geojson, "features": [f for f in geojson["features"] if f["id"] in wanted]}


def _geo_traces(values: MapValues, communes: pd.DataFrame, geojson: dict | str, insets: list[str], lang: str):
    mainland = [c for c in communes.index if c not in insets]
    template = hover_template(values.kpi_id, values.target, values.ranked, lang)
    shapes, marks = [], []
    for geo, codes in (("geo", mainland), ("geo2", list(insets))):
        shapes.append({
            "type": "choropleth", "geojson": _features(geojson, set(codes)), "featureidkey": "properties.code",
            "locations": codes, "z": clean(values.z.reindex(codes)), "text": name_text(communes, codes, lang),
            "customdata": values.card.reindex(codes).tolist(), "geo": geo, "hovertemplate": template,
            "coloraxis": "coloraxis", "marker": {"line": {"width": 0.5, "color": "#ffffff"}}})
        sp = status_patch(values, codes)
        marks.append({
            "type": "scattergeo", "lon": communes.loc[codes, "lon"].tolist(), "lat": communes.loc[codes, "lat"].tolist(),
            "geo": geo, "mode": "markers", "hoverinfo": "skip", "showlegend": False, "visible": sp["visible"],
            "marker": {"symbol": sp["marker.symbol"], "size": 7, "color": "#111111",
                       "line": {"width": 1, "color": "#ffffff"}}})
    return shapes + marks


def zoom_layout(zoom: str, presets: dict, lang: str) -> dict:
    """The geo subplots' view for a zoom preset. Côn Đảo swaps the two: the islands fill the map and the
    mainland becomes the inset."""
    inset = {"x": [0.0, 0.16], "y": [0.0, 0.2]}
    full = {"x": [0, 1], "y": [0, 1]}
    islands = zoom == "con_dao"
    main_view = presets["city" if islands else zoom]
    label = t("zoom_city", lang) if islands else "Đặc khu Côn Đảo" if lang == "vi" else "Côn Đảo special zone"
    return {
        "geo": {"domain": inset if islands else full, "lonaxis": {"range": main_view["lon"]},
                "lataxis": {"range": main_view["lat"]}},
        "geo2": {"domain": full if islands else inset, "lonaxis": {"range": presets["con_dao"]["lon"]},
                 "lataxis": {"range": presets["con_dao"]["lat"]}},
        "annotations": [{"text": label, "showarrow": False, "x": 0.08, "y": 0.21, "xref": "paper", "yref": "paper",
                         "xanchor": "center", "yanchor": "bottom", "font": {"size": 13}}],
        "uirevision": f"overview-map-{zoom}",  # a new preset resets a view the user panned
    }


def map_figure(values: MapValues, communes: pd.DataFrame, geojson: dict | str, insets: list[str], zoom: str,
               presets: dict, lang: str, height: int | None = 640) -> dict:
    """The mainland on the main map, the islands far offshore (Côn Đảo, 180 km south) in an inset,
    so the whole city shows at a readable scale. All traces share one colour axis.

    A plain figure dict: a graph_objects Figure validated and deep-copied every trace, most of a page's
    render time (issue 5); `go.Figure(map_figure(...))` where the object is wanted (exports/png.py)."""
    common = dict(fitbounds=False, visible=False, projection={"type": "mercator"}, bgcolor="rgba(0,0,0,0)")
    view = zoom_layout(zoom, presets, lang)
    return {"data": _geo_traces(values, communes, geojson, insets, lang), "layout": {
        "coloraxis": colour_axis(values, lang),
        "geo": {**common, **view["geo"]},
        "geo2": {**common, **view["geo2"], "showframe": True, "framecolor": "#8a96a3"},
        "annotations": view["annotations"], "uirevision": view["uirevision"],
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)", "font": {"family": "system-ui, sans-serif"},
        "separators": ",." if lang == "vi" else ".,"}}


def tile_grid(series: pd.Series, layout: pd.DataFrame, shape: tuple[int, int]) -> list[list]:
    """A per-commune series laid out as the tile map's rows × columns (None where no commune sits)."""
    grid = [[None] * shape[1] for _ in range(shape[0])]
    values = series.to_dict()
    for code, col, row in zip(layout.index, layout["col"].to_numpy(), layout["row"].to_numpy()):
        value = values.get(code)
        grid[row][col] = None if value is None or (not isinstance(value, list) and pd.isna(value)) else value
    return grid


def tile_figure(values: MapValues, communes: pd.DataFrame, layout: pd.DataFrame, shape: tuple[int, int],
                lang: str, height: int | None = 640) -> dict:
    """Every commune one square of the same size (geo.tiles), coloured and marked like the map (a plain
    figure dict, as map_figure)."""
    names = pd.Series(name_text(communes, list(layout.index), lang), index=layout.index)
    return {"data": [
        {"type": "heatmap", "z": tile_grid(values.z, layout, shape), "customdata": tile_grid(values.card, layout, shape),
         "text": tile_grid(names, layout, shape), "hovertemplate": hover_template(
             values.kpi_id, values.target, values.ranked, lang), "coloraxis": "coloraxis",
         "xgap": 3, "ygap": 3, "hoverongaps": False},
        {"type": "scatter", "x": (layout["col"] + 0.32).tolist(), "y": (layout["row"] + 0.3).tolist(),
         "mode": "markers", "hoverinfo": "skip", "showlegend": False, "visible": values.target is not None,
         "marker": {"symbol": status_patch(values, list(layout.index))["marker.symbol"], "size": 7,
                    "color": "#111111", "line": {"width": 1, "color": "#ffffff"}}},
    ], "layout": {
        "coloraxis": colour_axis(values, lang), "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "xaxis": {"visible": False, "constrain": "domain"},
        "yaxis": {"visible": False, "scaleanchor": "x", "constrain": "domain"},
        "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)", "uirevision": "tile-map",
        "font": {"family": "system-ui, sans-serif"}, "separators": ",." if lang == "vi" else ".,"}}


def legend(values: MapValues, lang: str):
    """Status as colour, shape and word; the target and its legal source beside it."""
    if values.target is None:
        return html.P(t("legend_no_target", lang), className="map-legend-note")
    target = values.target
    title = target.title_vi if lang == "vi" else target.title_en
    threshold = number(target.threshold, lang, 0)
    items = [html.Li([html.Span(st.GLYPHS[s], className="legend-swatch", style={"color": st.COLOURS[s]},
                                **{"aria-hidden": "true"}), st.label(s, lang)])
             for s in ("green", "amber", "red", "no data")]
    return html.Div([
        html.P([html.Strong(f"{t('legend_target', lang)}: {target.comparison} {threshold}"
                            f"{' %' if CATALOGUE[values.kpi_id].unit == 'percent' else ''}"),
                f" — {title} ({target.source}); {t('legend_judged_on', lang)}"], className="map-legend-note"),
        html.Ul(items, className="map-legend-items"),
    ])


def layout(*, lang: str, period: Period, kpi_id: str, view: str, zoom: str, city_row, figure: dict,
           tile_fig: dict, values: MapValues):
    def radio(component_id, label_key, options, value):
        return html.Div([
            html.Label(t(label_key, lang), htmlFor=component_id),
            dcc.RadioItems(id=component_id, options=[{"label": t(f"{label_key}_{o}" if label_key == "zoom"
                                                               else f"view_{o}", lang), "value": o} for o in options],
                           value=value, inline=True, className="radio-group"),
        ], className="control")

    return html.Div([
        html.H1(t("overview", lang), className="page-title"),
        html.Div([
            period_picker(ids.PERIOD, period.key, lang, custom=True),
            period_range(ids.PERIOD, period, lang),
            html.Div([
                html.Label(t("kpi", lang), htmlFor=ids.KPI),
                dcc.Dropdown(id=ids.KPI, options=[{"label": CATALOGUE[k].name(lang), "value": k} for k in MAP_KPIS],
                             value=kpi_id, clearable=False, searchable=False, className="picker"),
            ], className="control"),
            export_control(lang),
        ], className="controls"),
        html.Section(tiles(city_row, lang), id=ids.TILES, className="tiles", **{"aria-label": t("city", lang)}),
        html.Section([
            html.H2(t("map_title", lang)),
            html.P(t("map_hint", lang), className="hint"),
            html.Div([radio(ids.VIEW, "map_view", VIEWS, view), radio(ids.ZOOM, "zoom", ZOOMS, zoom)],
                     className="controls"),
            html.Div(legend(values, lang), id=ids.LEGEND, className="map-legend", role="note"),
            html.Div(dcc.Graph(id=ids.MAP, figure=figure, config=MAP_CONFIG, className="city-map"),
                     id=ids.MAP_BOX, hidden=view != "map", role="img",
                     **{"aria-label": f"{t('map_title', lang)}: {CATALOGUE[kpi_id].name(lang)}"}),
            html.Div(dcc.Graph(id=ids.TILE_MAP, figure=tile_fig, config=TILE_CONFIG, className="tile-map"),
                     id=ids.TILE_BOX, hidden=view != "tiles", role="img",
                     **{"aria-label": f"{t('tile_map_title', lang)}: {CATALOGUE[kpi_id].name(lang)}"}),
        ], className="map-panel"),
    ])
