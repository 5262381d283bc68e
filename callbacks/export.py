"""The export control: what is on screen (page, period, KPI from the URL) frozen as a snapshot, and that
snapshot's file sent to the browser. The button is disabled and a progress line shown while it runs."""
from __future__ import annotations

import logging

from dash import Input, Output, State, dcc
from sqlalchemy import Engine

from access import scope as access_scope
from api.v1 import download_name
from callbacks.context import DRILL_PATH, PageQuery
from layouts.export import FORMATS, done, ids, label
from layouts.shell import URL
from layouts.snapshots import PATH as SNAPSHOTS_PATH
from snapshots import store
from snapshots.scope import ScopeError, parse_scope

log = logging.getLogger(__name__)


def scope_of(pathname: str | None) -> str:
    """The scope a page shows: a commune's drill-down its commune, every other page the city."""
    match = DRILL_PATH.match(pathname or "/")
    return f"commune:{match.group('code')}" if match else "city"


def register(app, engine: Engine) -> None:
    @app.callback(Output(ids.DOWNLOAD, "data"), Output(ids.STATUS, "children"),
                  Input(ids.BUTTON, "n_clicks"), State(ids.FORMAT, "value"), State(URL, "pathname"),
                  State(URL, "search"), prevent_initial_call=True,
                  running=[(Output(ids.BUTTON, "disabled"), True, False),
                           (Output(ids.RUNNING, "style"), {"display": "inline"}, {"display": "none"})])
    def export(_clicks, fmt, pathname, search):
        query = PageQuery.parse(search)
        fmt = fmt if fmt in FORMATS else FORMATS[0]
        try:
            scope = parse_scope(engine, scope_of(pathname))
        except ScopeError as exc:
            return None, f"{label('failed', query.lang)}: {exc}"
        info = store.create(engine, scope, query.period.start, query.period.end, map_kpi=query.kpi,
                            created_by=access_scope.current_actor())
        try:
            content, _ = store.file(engine, info.id, fmt)
        except Exception as exc:  # noqa: BLE001 — e.g. no Chromium for a PNG/PDF: say so, keep the page usable
            log.exception("export of %s as %s failed", info.id, fmt)
            return None, f"{label('failed', query.lang)} ({fmt.upper()}, {info.id}): {type(exc).__name__}"
        log.info("exported %s as %s (%d bytes)", info.id, fmt, len(content))
        href = SNAPSHOTS_PATH + ("?lang=en" if query.lang == "en" else "")
        return dcc.send_bytes(content, download_name(info, fmt)), done(query.lang, info.id, href)
