"""The communes' geometry as one static, versioned file that the browser fetches once and keeps.

Sent inside each page's figure it was ~460 KB per page load and three quarters of the overview's render
time (plotly deep-copies a figure's GeoJSON; issues 5 and 8). Plotly draws a choropleth from a GeoJSON URL
as well as from an object, so the figures carry this URL instead. The path holds a digest of the content:
a new geometry is a new URL, so the file may be cached for a year. It is the shipped open dataset
(geo/data/SOURCES.md), served from this origin with no sign-in, like the other static files.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache

from dash import get_relative_path
from flask import Response, abort, request

from geo.communes import boundaries_geojson

PREFIX = "/geo/"
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=1)
def _payload() -> tuple[str, bytes, bytes]:
    raw = json.dumps(boundaries_geojson(), separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return f"communes-{digest}.geojson", raw, gzip.compress(raw, compresslevel=9, mtime=0)


def boundaries_path() -> str:
    """The geometry's path on this server (without the app's URL prefix)."""
    return PREFIX + _payload()[0]


def boundaries_url() -> str:
    """The geometry's URL for a figure served by this app (its URL prefix included)."""
    return get_relative_path(boundaries_path())


def register(server) -> None:
    @server.get(PREFIX + "<name>")
    def communes_geojson(name: str):
        filename, raw, packed = _payload()
        if name != filename:
            abort(404)  # an old digest: the page that asked is older than this geometry
        gz = "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(packed if gz else raw, mimetype="application/geo+json")
        if gz:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        response.set_etag(filename)
        return response.make_conditional(request)
