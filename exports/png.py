"""PNG of a chart or of the map, drawn by kaleido in Debian's Chromium, offline.

kaleido's page would load MathJax from a CDN by default: it is switched off, and plotly.js comes from the
plotly package; the map's base topology is the app's own empty one (assets/topojson). Chromium is found on
PATH (/usr/bin/chromium) or at BROWSER_PATH; kaleido never downloads one (ChromeNotFoundError instead).
"""
from __future__ import annotations

import plotly.graph_objects as go

from config import ROOT
from exports.document import DEMO_MARK, period_text, scope_name

TOPOJSON = (ROOT / "assets" / "topojson").as_uri() + "/"
KALEIDO_OPTIONS = {"mathjax": False}  # plotly.js: the installed plotly's own file (kaleido's default)


def figure_png(fig: go.Figure, width: int = 1100, height: int = 800, scale: float = 1.0) -> bytes:
    import kaleido

    # A running sync server (warm_up) was started with these options and takes none per call.
    options = {} if kaleido._global_server.is_running() else {"kopts": KALEIDO_OPTIONS}
    return kaleido.calc_fig_sync(fig.to_plotly_json(), opts={"format": "png", "width": width, "height": height,
                                                             "scale": scale}, topojson=TOPOJSON, **options)


def map_figure(payload: dict, lang: str = "vi") -> go.Figure:
    """The overview's map (layouts.overview.map_figure) with the payload's frozen values, titled."""
    import pandas as pd

    from geo.communes import boundaries_geojson, communes_frame, inset_codes
    from geo.regions import zoom_presets
    from layouts.overview import map_figure as overview_map
    from layouts.overview import map_values
    from metrics.frame import rank

    kpi_id = payload["map"]["kpi"]
    communes = communes_frame().set_index("code")
    codes = communes.index.tolist()
    value = pd.Series(payload["map"]["values"], dtype=float).reindex(codes)
    ranks = rank(pd.DataFrame({kpi_id: value}), kpi_id, codes).reindex(codes)
    values = map_values(kpi_id, value, pd.Series(index=codes, dtype=float), ranks, lang)
    geojson = boundaries_geojson()
    fig = go.Figure(overview_map(values, communes, geojson, inset_codes(), "city", zoom_presets(), lang))
    name = next(k["name_vi"] for k in payload["kpis"] if k["id"] == kpi_id)
    title = f"{name} — {scope_name(payload)} — {period_text(payload)}"
    if payload["demo"]:
        title += f"<br><span style='color:#6b2fa3'>{DEMO_MARK}</span>"
    fig.update_layout(title={"text": title, "x": 0.02, "font": {"size": 16}}, margin={"l": 10, "r": 10, "t": 70,
                                                                                       "b": 30},
                      paper_bgcolor="#ffffff", font={"family": "DejaVu Sans, sans-serif"},
                      annotations=[*fig.layout.annotations, {
                          "text": f"Mã ảnh chụp {payload['snapshot']['id']} · phiên bản dữ liệu "
                                  f"{payload['data_version']}", "showarrow": False, "x": 1, "y": -0.03,
                          "xref": "paper", "yref": "paper", "xanchor": "right", "font": {"size": 10}}])
    if payload["scope"]["kind"] == "commune":  # the snapshot's commune outlined on the city map
        code = payload["scope"]["code"]
        fig.add_trace(go.Choropleth(
            geojson={**geojson, "features": [f for f in geojson["features"] if f["id"] == code]},
            featureidkey="properties.code", locations=[code], z=[0], showscale=False,
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], marker_line_color="#d62728",
            marker_line_width=3, geo="geo2" if code in inset_codes() else "geo", hoverinfo="skip"))
    return fig


class PNG:
    format = "png"
    media_type = "image/png"

    def render(self, payload: dict) -> bytes:
        return figure_png(map_figure(payload))


def warm_up() -> None:
    """Keep one Chromium for the images of a long run (a batch, the worker): ~0.2 s an image instead of
    a browser start each. Safe to call twice."""
    import kaleido

    kaleido.start_sync_server(silence_warnings=True, **KALEIDO_OPTIONS)
