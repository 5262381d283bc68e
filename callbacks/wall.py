"""Wall mode: `/wall?views=map,tiles,hotline,plan02,d766&rotate=60&refresh=60&reload=03:00&lang=vi`.

A registry of views, one small function each returning a panel's content. The clock and the rotation run in
the browser (assets/wall.js: no server round trip per second). A poll asks only for the data version; when it
changed, the HTML panels are redrawn and the maps receive a Patch of their values, never their geometry. Once
a night (`reload`, local time, or a number of seconds for tests) the page reloads itself to bound the
browser's memory on a screen that runs for days.
"""
from __future__ import annotations

import re
import time
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from urllib.parse import parse_qs

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import Engine

from access import scope as access_scope
from callbacks import overview as overview_callbacks
from callbacks.context import PageQuery, freshness
from geo.communes import inset_codes
from geo.web import boundaries_url
from geo.regions import zoom_presets
from geo.tiles import grid_shape, tile_layout
from layouts import wall as wl
from layouts.i18n import t
from layouts.overview import MAP_CONFIG, MAP_KPIS, TILE_CONFIG, legend, map_figure, tile_figure
from layouts.shell import URL
from metrics import score766, targets
from metrics.frame import CITY, WARM_WITHIN, data_version, kpi_frame
from metrics.kpis import CATALOGUE
from metrics.warm import after_new_data
from metrics.time import TZ, local_day, now
from metrics.units import commune_table, department_table

DEFAULT_VIEWS = ("map", "tiles", "hotline", "plan02", "d766")
DEFAULT_ROTATE, DEFAULT_REFRESH, DEFAULT_RELOAD = 60, 60, "03:00"
_RELOAD_AT = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class WallQuery:
    """The wall's state, all from its URL (a wall is set up by typing one address on its browser)."""

    page: PageQuery
    views: tuple[str, ...]
    unknown: tuple[str, ...]
    rotate: int          # seconds per view; 0 = all views at once
    refresh: int         # seconds between data-version polls
    reload: str          # "HH:MM" local time, or a number of seconds after loading (tests)

    @classmethod
    def parse(cls, search: str | None) -> "WallQuery":
        q = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
        names = [v for v in (q.get("views") or ",".join(DEFAULT_VIEWS)).split(",") if v]
        views = tuple(dict.fromkeys(v for v in names if v in VIEWS)) or DEFAULT_VIEWS
        reload = q.get("reload", DEFAULT_RELOAD)
        if not (_RELOAD_AT.match(reload) or reload.isdigit()):
            reload = DEFAULT_RELOAD
        return cls(PageQuery.parse(search), views, tuple(v for v in names if v not in VIEWS),
                   _seconds(q.get("rotate"), DEFAULT_ROTATE, 0), _seconds(q.get("refresh"), DEFAULT_REFRESH, 1), reload)

    @property
    def lang(self) -> str:
        return self.page.lang

    @property
    def map_kpi(self) -> str:
        """The URL's KPI, else the first map KPI judged against a commune target (the wall shows status)."""
        if self.page.kpi in MAP_KPIS:
            return self.page.kpi
        return next((k for k in MAP_KPIS if targets.commune_target(k)), MAP_KPIS[0])

    def config(self) -> dict:
        """What the browser's clock, rotation and nightly reload read (the Store `wall-config`)."""
        offset = datetime.now(TZ).utcoffset().total_seconds() // 60
        return {"views": list(self.views), "rotate": self.rotate, "refresh": self.refresh, "reload": self.reload,
                "lang": self.lang, "timezone": TZ.key, "utc_offset_minutes": int(offset)}


def _seconds(text: str | None, default: int, low: int) -> int:
    return max(int(text), low) if text and text.isdigit() else default


@dataclass(frozen=True)
class View:
    title_key: str
    build: Callable[[Engine, WallQuery], object]
    graph: bool = False          # a map: built once, then patched
    patch: Callable[[Engine, WallQuery], object] | None = None


VIEWS: dict[str, View] = {}


def view(name: str, **kwargs):
    def register(build):
        VIEWS[name] = View(f"wall_view_{name}", build, **kwargs)
        return build
    return register


def _values(engine: Engine, wq: WallQuery):
    return overview_callbacks.values_for(engine, wq.map_kpi, wq.page.period, wq.lang)


def _map_patch(engine: Engine, wq: WallQuery):
    return overview_callbacks.map_patch(_values(engine, wq), commune_table(engine), wq.lang)


def _tile_patch(engine: Engine, wq: WallQuery):
    return overview_callbacks.tile_patch(_values(engine, wq), wq.lang)


def _label(wq: WallQuery, name: str) -> str:
    return f"{t(VIEWS[name].title_key, wq.lang)}: {CATALOGUE[wq.map_kpi].name(wq.lang)}"


@view("map", graph=True, patch=_map_patch)
def map_view(engine: Engine, wq: WallQuery):
    values = _values(engine, wq)
    fig = map_figure(values, commune_table(engine), boundaries_url(), inset_codes(), "city",
                     zoom_presets(), wq.lang, height=None)
    return wl.graph("map", wl.dark(fig), MAP_CONFIG, _label(wq, "map"), legend(values, wq.lang))


@view("tilemap", graph=True, patch=_tile_patch)
def tile_map_view(engine: Engine, wq: WallQuery):
    values = _values(engine, wq)
    fig = tile_figure(values, commune_table(engine), tile_layout(), grid_shape(), wq.lang, height=None)
    return wl.graph("tilemap", wl.dark(fig), TILE_CONFIG, _label(wq, "tilemap"), legend(values, wq.lang))


@view("tiles")
def tiles_view(engine: Engine, wq: WallQuery):
    return wl.headline(kpi_frame(engine, wq.page.period.start, wq.page.period.end).loc[CITY], wq.lang)


@view("hotline")
def hotline_view(engine: Engine, wq: WallQuery):
    frame = kpi_frame(engine, wq.page.period.start, wq.page.period.end)
    return wl.hotline(frame.loc[CITY], commune_table(engine), frame, wq.lang)


@view("plan02")
def plan02_view(engine: Engine, wq: WallQuery):
    return wl.plan02(targets.evaluate(engine, local_day(now())), wq.lang)


@view("d766")
def d766_view(engine: Engine, wq: WallQuery):
    period, scored = score766.score_period(engine, "month", local_day(now()))
    names = commune_table(engine)["full_name"]
    departments = department_table(engine)
    names = names.combine_first(departments["name" if wq.lang == "vi" else "name_en"])
    label = f"{t('wall_view_d766', wq.lang)} · {period.start:%m/%Y}"
    return wl.d766(label, scored, names, wq.lang)


@lru_cache(maxsize=16)  # a few walls × views × the current version; maps hold their geometry
def _built(url: str, version: int, scope: access_scope.Scope, name: str, search: str, patch: bool):
    """A view's content for one data version, reader's scope and URL: every wall showing the same view and
    version to the same scope shares it (a new version is a new key, never stale content; another scope is
    another key, never another scope's numbers)."""
    from store.db import engine_for

    view_ = VIEWS[name]
    return (view_.patch if patch else view_.build)(engine_for(url), WallQuery.parse(search))


def content(engine: Engine, name: str, search: str | None, patch: bool = False):
    scope = access_scope.current()
    if scope.everything:  # what city-wide walls show is prepared ahead after new data (below)
        _RECENT[(name, search or "", patch)] = time.monotonic()
    return _built(engine.url.render_as_string(hide_password=False), data_version(engine), scope,
                  name, search or "", patch)


_RECENT: dict[tuple[str, str, bool], float] = {}  # (view, wall URL, patch) → when a city-wide wall last drew it


@after_new_data
def prepare_recent_walls(engine: Engine) -> None:
    """After new data, the panels city-wide walls drew in the last hour are built for the new version before
    their next poll asks (metrics/warm.py), so no screen waits for the Plan 02 or Decision 766 panel."""
    cutoff = time.monotonic() - WARM_WITHIN
    url, version = engine.url.render_as_string(hide_password=False), data_version(engine)
    for key, at in list(_RECENT.items()):
        if at < cutoff:
            _RECENT.pop(key, None)
        else:
            _built(url, version, access_scope.EVERYTHING, *key)


def page(engine: Engine, search: str | None, sources_file: str | None):
    wq = WallQuery.parse(search)
    fresh = freshness(engine, sources_file)
    panels = [wl.panel(name, t(VIEWS[name].title_key, wq.lang), content(engine, name, search), fresh, wq.lang,
                       active=i == 0, graph=VIEWS[name].graph) for i, name in enumerate(wq.views)]
    if wq.unknown:
        panels.append(wl.unknown_views(list(wq.unknown), wq.lang))
    return wl.page(lang=wq.lang, config=wq.config(), version=data_version(engine), freshness=fresh, panels=panels)


def register(app, engine: Engine) -> None:
    settings = app.server.config["IOC_SETTINGS"]

    app.clientside_callback(ClientsideFunction("wall", "tick"), Output(wl.ids.CLOCK, "children"),
                            Input(wl.ids.CLOCK_TICK, "n_intervals"), State(wl.ids.CONFIG, "data"))
    app.clientside_callback(ClientsideFunction("wall", "rotate"),
                            Output(wl.ids.panel(ALL), "className"), Output(wl.ids.PAGER, "children"),
                            Input(wl.ids.ROTATE_TICK, "n_intervals"), State(wl.ids.CONFIG, "data"),
                            prevent_initial_call=True)

    # Responses can arrive out of order (a slow poll after a quicker one): the browser keeps the versions
    # moving forward only, so a wall never goes back to older data.
    app.clientside_callback(ClientsideFunction("wall", "newer"), Output(wl.ids.VERSION, "data"),
                            Input(wl.ids.LATEST, "data"), State(wl.ids.VERSION, "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("wall", "newer"), Output(wl.ids.VERSION_TEXT, "children"),
                            Input(wl.ids.DRAWN, "data"), State(wl.ids.VERSION_TEXT, "children"),
                            prevent_initial_call=True)

    @app.callback(Output(wl.ids.LATEST, "data"), Output(wl.ids.fresh(ALL), "children"),
                  Output(wl.ids.AS_OF, "children"), Input(wl.ids.POLL, "n_intervals"),
                  State(wl.ids.VERSION, "data"), State(URL, "search"), prevent_initial_call=True)
    def poll(_, version, search):
        """The cheap question asked every `refresh` seconds: has the data changed? Freshness can change
        without new data (a source falls silent), so the badges are answered every time."""
        lang = WallQuery.parse(search).lang
        fresh = freshness(engine, settings.sources_file)
        current = data_version(engine)
        badges = [wl.fresh_badge(fresh, lang) for _ in ctx.outputs_list[1]]
        return (no_update if current == version else current), badges, wl.as_of_text(fresh)

    def superseded(version) -> bool:
        """A newer version is already in the store: its own redraw follows, so this one is skipped."""
        return version is not None and version < data_version(engine)

    @app.callback(Output(wl.ids.body(ALL), "children"), Output(wl.ids.DRAWN, "data"),
                  Input(wl.ids.VERSION, "data"), State(URL, "search"), prevent_initial_call=True)
    def redraw(version, search):
        if superseded(version):
            raise PreventUpdate
        return [content(engine, o["id"]["view"], search) for o in ctx.outputs_list[0]], version

    @app.callback(Output(wl.ids.graph(ALL), "figure"), Input(wl.ids.VERSION, "data"), State(URL, "search"),
                  prevent_initial_call=True)
    def repaint(version, search):
        if superseded(version):
            raise PreventUpdate
        return [content(engine, o["id"]["view"], search, patch=True) for o in ctx.outputs_list]

