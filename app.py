"""The Dash app and its Flask `server` (gunicorn serves `app:server`).

Building the app touches neither the network nor the database: pages read the store per request.
"""
from __future__ import annotations

import importlib
import logging

from dash import Dash
from flask import jsonify

import access
from api.v1 import register as register_api
from callbacks import register_all
from config import ROOT, Settings
from geo import web as geo_web
from layouts.i18n import t
from layouts.shell import app_layout
from ops import register as register_ops
from store.db import engine_for


def create_app(settings: Settings | None = None) -> Dash:
    settings = settings or Settings.from_env()
    engine = engine_for(settings.database_url)
    app = Dash(
        __name__,
        title=t("app_title", settings.language),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,  # no CDN: government networks are closed
        suppress_callback_exceptions=True,  # pages are built by the router
        update_title=None,
    )
    app.server.config["IOC_SETTINGS"] = settings
    app.server.config["SECRET_KEY"] = settings.session_secret()
    app.index_string = app.index_string.replace("<html>", f'<html lang="{settings.language}">')
    app.layout = app_layout
    register_all(app, engine)
    register_api(app.server, engine)
    geo_web.register(app.server)  # the map's geometry, fetched once by the browser

    @app.server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    register_ops(app, settings, engine)  # /readyz and /metrics
    # Accounts, scopes, tokens, audit: one guard in front of every route (access/guard.py).
    access.install(app, engine)

    # Dash lists its bundles on a worker's first request; in a threaded gunicorn worker the browser's
    # first burst of requests raced that ("dash is not a registered library", seen under gunicorn):
    # list them once here, before any request.
    with app.server.test_request_context("/"):
        app._setup_server()
    _import_export_libraries()
    return app


def _import_export_libraries() -> None:
    """What the exports import on first use, imported before any request. plotly's JSON encoder looks
    PIL.Image up in sys.modules, and a worker's first export importing it in another thread handed the
    encoder a half-initialised module (HTTP 500s under issue 8's load test)."""
    for name in ("PIL.Image", "openpyxl", "fpdf"):
        importlib.import_module(name)


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
server = app.server
