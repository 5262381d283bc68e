"""PNG of a chart or of the map, drawn by kaleido in Debian's Chromium, offline.

kaleido's page would load MathJax from a CDN by default: it is switched off, and plotly.js comes from the
plotly package; the map's base topology is the app's own empty one (assets/topojson). Chromium is found on
PATH (/usr/bin/chromium) or at BROWSER_PATH; kaleido never downloads one (ChromeNotFoundError instead).
"""
from __future__ import annotations

import asyncio
import atexit
import threading

import plotly.graph_objects as go

from config import ROOT
from exports.document import DEMO_MARK, period_text, scope_name

TOPOJSON = (ROOT / "assets" / "topojson").as_uri() + "/"
KALEIDO_OPTIONS = {"mathjax": False}  # plotly.js: the installed plotly's own file (kaleido's default)


START_SECONDS, RENDER_SECONDS = 60, 120


class _Browser:
    """One Chromium (a kaleido.Kaleido) kept for this process's images, on an event loop of its own thread.
    Calls cross threads as futures with time limits: a browser that cannot start or stops answering raises
    instead of blocking the web worker (kaleido's own kept server shares one answer queue between callers
    and waits without limit on a browser that never started)."""

    def __init__(self):
        import kaleido

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kaleido", daemon=True)
        self.thread.start()
        try:
            self.kaleido = self._call(self._open(kaleido), START_SECONDS)
        except BaseException:
            self._stop_loop()
            raise

    @staticmethod
    async def _open(kaleido):
        browser = kaleido.Kaleido(**KALEIDO_OPTIONS)  # raises ChromeNotFoundError: it never downloads one
        await browser.open()
        return browser

    def _call(self, coroutine, seconds: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=seconds)

    def png(self, figure: dict, opts: dict) -> bytes:
        return self._call(self.kaleido.calc_fig(figure, opts=opts, topojson=TOPOJSON), RENDER_SECONDS)

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def close(self) -> None:
        try:
            self._call(self.kaleido.close(), 30)
        finally:
            self._stop_loop()


_browser: _Browser | None = None
_ONE_AT_A_TIME = threading.Lock()  # one image at a time per process: the kept browser renders one page


def _kept() -> _Browser:
    global _browser
    if _browser is None:
        _browser = _Browser()
        atexit.register(close)
    return _browser


def figure_png(fig: go.Figure, width: int = 1100, height: int = 800, scale: float = 1.0) -> bytes:
    """The figure as a PNG. The first image of a process starts a Chromium and keeps it: a browser start per
    image cost ~3 s of CPU, and PNG/PDF exports held a core each under issue 8's load test. A failed
    render closes the browser; the next image starts a new one."""
    figure = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig
    opts = {"format": "png", "width": width, "height": height, "scale": scale}
    with _ONE_AT_A_TIME:
        browser = _kept()
        try:
            return browser.png(figure, opts)
        except BaseException:
            _close_kept()
            raise


def _close_kept() -> None:
    global _browser
    browser, _browser = _browser, None
    if browser is not None:
        try:
            browser.close()
        except Exception:  # noqa: BLE001 — a browser that will not close cleanly is dropped all the same
            pass


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
    """Start the kept Chromium now (a batch of images, the worker) rather than at the first image."""
    with _ONE_AT_A_TIME:
        _kept()


def close() -> None:
    """Stop the kept Chromium (the next image starts another)."""
    with _ONE_AT_A_TIME:
        _close_kept()
