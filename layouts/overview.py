"""Overview: city tiles and the choropleth of the 168 communes."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from layouts.components import period_picker, tiles
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
    """The map's z values in the order of `codes`; no data stays None (drawn grey, never as 0)."""
    values = frame[kpi_id].reindex(codes)
    return [None if pd.isna(v) else round(float(v), 2) for v in values]


def hover_text(frame: pd.DataFrame, communes: pd.DataFrame, kpi_id: str, lang: str, fmt) -> list[str]:
    names = communes["full_name"]
    return [f"{names[c]}<br>{CATALOGUE[kpi_id].name(lang)}: {fmt(kpi_id, frame[kpi_id].get(c), lang)}"
            for c in communes.index]


def map_figure(geojson: dict, communes: pd.DataFrame, z: list, text: list[str], kpi_id: str, lang: str) -> go.Figure:
    kpi = CATALOGUE[kpi_id]
    # Cividis is readable with every common colour-vision deficiency; reversed when lower is better.
    scale = "Cividis" if kpi.better == "higher" else "Cividis_r"
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="properties.code", locations=list(communes.index), z=z,
        text=text, hovertemplate="%{text}<extra></extra>", customdata=list(communes.index),
        colorscale=scale, marker_line_width=0.4, marker_line_color="#ffffff",
        colorbar={"title": {"text": kpi.name(lang)}, "thickness": 14},
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=720, uirevision="overview-map",
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
        ], className="controls"),
        html.Section(tiles(city_row, lang), id=ids.TILES, className="tiles", **{"aria-label": t("city", lang)}),
        html.Section([
            html.H2(t("map_title", lang)),
            html.P(t("map_hint", lang), className="hint"),
            dcc.Graph(id=ids.MAP, figure=figure, config=MAP_CONFIG, className="city-map"),
        ], className="map-panel"),
    ])
