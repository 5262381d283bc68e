"""Overview: city tiles and the choropleth of the 168 communes."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from layouts.components import period_picker, tiles
from layouts.export import control as export_control
from layouts.i18n import t
from metrics.kpis import CATALOGUE

MAP_KPIS = ("on_time_rate", "online_share", "full_online_share", "dossiers_received", "tickets_open",
            "documents_signed_share")


class ids:
    PERIOD = "overview-period"
    KPI = "overview-kpi"
    TILES = "overview-tiles"
    MAP = "overview-map"


# Plotly's geo subplot would fetch a world topology from a CDN; the map needs none (no base layers),
# and this points any request at the app's own assets so nothing leaves a closed network.
MAP_CONFIG = {"topojsonURL": "/assets/topojson/", "displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def map_values(frame: pd.DataFrame, codes: list[str], kpi_id: str) -> list:
    """The map's z values in the order of `codes`; no data stays None (never drawn as 0)."""
    values = frame[kpi_id].reindex(codes)
    return [None if pd.isna(v) else round(float(v), 2) for v in values]


def hover_text(frame: pd.DataFrame, communes: pd.DataFrame, codes: list[str], kpi_id: str, lang: str, fmt) -> list[str]:
    names = communes["full_name"]
    return [f"{names[c]}<br>{CATALOGUE[kpi_id].name(lang)}: {fmt(kpi_id, frame[kpi_id].get(c), lang)}" for c in codes]


def map_traces(frame: pd.DataFrame, communes: pd.DataFrame, insets: list[str], kpi_id: str, lang: str, fmt):
    """(codes, z, text) for the mainland trace and the inset trace (Côn Đảo), in that order."""
    mainland = [c for c in communes.index if c not in insets]
    return [(codes, map_values(frame, codes, kpi_id), hover_text(frame, communes, codes, kpi_id, lang, fmt))
            for codes in (mainland, list(insets))]


def colour_axis(kpi_id: str, lang: str) -> dict:
    kpi = CATALOGUE[kpi_id]
    # Cividis is readable with every common colour-vision deficiency; reversed when lower is better.
    return {"colorscale": "Cividis" if kpi.better == "higher" else "Cividis_r",
            "colorbar": {"title": {"text": kpi.name(lang)}, "thickness": 14}}


def map_figure(geojson: dict, traces, kpi_id: str, lang: str) -> go.Figure:
    """The mainland on the main map, the islands far offshore (Côn Đảo, 180 km south) in an inset,
    so the whole city shows at a readable scale. Both traces share one colour axis."""
    fig = go.Figure()
    for geo, (codes, z, text) in zip(("geo", "geo2"), traces):
        wanted = set(codes)  # each trace carries only its own shapes: the geometry is sent once
        shapes = {**geojson, "features": [f for f in geojson["features"] if f["id"] in wanted]}
        fig.add_trace(go.Choropleth(
            geojson=shapes, featureidkey="properties.code", locations=codes, z=z, text=text, geo=geo,
            hovertemplate="%{text}<extra></extra>", coloraxis="coloraxis",
            marker_line_width=0.5, marker_line_color="#ffffff"))
    common = dict(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(
        coloraxis=colour_axis(kpi_id, lang),
        geo={**common, "domain": {"x": [0, 1], "y": [0, 1]}},
        geo2={**common, "domain": {"x": [0.0, 0.16], "y": [0.0, 0.2]}, "showframe": True, "framecolor": "#8a96a3"},
        annotations=[{"text": "Đặc khu Côn Đảo" if lang == "vi" else "Côn Đảo special zone", "showarrow": False,
                      "x": 0.08, "y": 0.21, "xref": "paper", "yref": "paper", "xanchor": "center",
                      "yanchor": "bottom", "font": {"size": 13}}],
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=640, uirevision="overview-map",
        paper_bgcolor="rgba(0,0,0,0)", font={"family": "system-ui, sans-serif"},
        separators=",." if lang == "vi" else ".,")
    return fig


def layout(*, lang: str, period_key: str, kpi_id: str, city_row, figure: go.Figure):
    return html.Div([
        html.H1(t("overview", lang), className="page-title"),
        html.Div([
            period_picker(ids.PERIOD, period_key, lang),
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
            dcc.Graph(id=ids.MAP, figure=figure, config=MAP_CONFIG, className="city-map"),
        ], className="map-panel"),
    ])
