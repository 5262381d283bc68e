"""The one guard: a before_request hook in front of every route of the server, Dash's included.

A request without an identity is refused unless its path is on the small public list below. Identities:
a person's session (Flask-Login, with an idle timeout), a wall screen's session (made once from a display
token in the /wall URL and bound to that token), and an API token (`Authorization: Bearer`, /api/v1 only).
Rules by kind of identity and by path follow; after the request, any file download (an attachment) needs
the export permission and leaves a trace in the audit log, whichever page or API produced it.
"""
from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode, urlsplit

from flask import Response, g, jsonify, redirect, request, session
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import Engine

from access import accounts, audit, tokens
from access.identity import API, DISPLAY, PERSON
from access.roles import EXPORT, MANAGE, SOURCES

LOGIN_PATH = "/login"
API_PREFIX = "/api/v1/"
METRICS_PATH = "/metrics"  # Prometheus scrapes with an API token (bearer_token in its scrape config)
WALL_PREFIX = tokens.WALL_VIEWS
# Public without an identity: the login page, health probes, and the framework's static bundles (no data).
PUBLIC_PATHS = frozenset({LOGIN_PATH, "/healthz", "/readyz", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/_dash-component-suites/", "/login/static/", "/geo/")  # /geo/: the open boundaries (geo/web.py)
# Files under /assets/ that carry no data (styles, fonts, pictures); any other asset needs an identity.
PUBLIC_ASSET_SUFFIXES = (".css", ".woff", ".woff2", ".ttf", ".svg", ".png", ".ico")
# What a wall screen's session may call besides its views: the framework's own endpoints.
DASH_ENDPOINTS = ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash",
                  "/_dash-component-suites/", "/assets/", "/_favicon.ico")
# Paths that need a permission beyond reading (a registry: a new admin area is one line).
PERMISSION_BY_PREFIX = (("/admin", MANAGE),)
# Pages that need a permission beyond reading, by the URL path the Dash router renders.
PAGE_PERMISSIONS = (("/sources", SOURCES), ("/admin", MANAGE))
DASH_PAGES = ("/", "/<path:path>")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_ip() -> str:
    return request.remote_addr or ""


def is_public(path: str) -> bool:
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return True
    return path.startswith("/assets/") and path.lower().endswith(PUBLIC_ASSET_SUFFIXES) and ".." not in path


def page_permission(pathname: str | None) -> str | None:
    """The permission a page path needs beyond reading (None: reading is enough)."""
    path = (pathname or "/").rstrip("/") or "/"
    for prefix, permission in PAGE_PERMISSIONS:
        if path == prefix or path.startswith(prefix + "/"):
            return permission
    return None


def _wants_html() -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith(("/_dash", API_PREFIX)) \
        and "text/html" in request.headers.get("Accept", "")


def refuse(status: int, reason: str) -> Response:
    """401 (no identity) sends a browser to the login page and anything else a JSON error; 403 is final."""
    if status == 401 and _wants_html():
        return redirect(f"{LOGIN_PATH}?{urlencode({'next': request.full_path.rstrip('?')})}")
    response = jsonify(error=reason)
    response.status_code = status
    if status == 401 and request.path.startswith(API_PREFIX):
        response.headers["WWW-Authenticate"] = 'Bearer realm="ioc"'
    return response


def _same_origin() -> bool:
    """A state-changing request must come from our own pages: Origin (or Referer) names this host."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not a browser (curl, the test client); browsers always send Origin on POST
    return urlsplit(origin).netloc == request.host


def _callback_paths(payload) -> list[str]:
    """The URL paths a Dash callback request carries (the router's input and any pathname state)."""
    found = []
    if not isinstance(payload, dict):
        return found
    for item in list(payload.get("inputs") or []) + list(payload.get("state") or []):
        for one in item if isinstance(item, list) else [item]:
            if isinstance(one, dict) and one.get("property") == "pathname":
                found.append(str(one.get("value") or "/"))
    return found


def _within(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") or path.startswith(p + "?") for p in prefixes)


def register(server, engine: Engine) -> None:
    settings = server.config["IOC_SETTINGS"]
    idle_seconds = settings.idle_minutes * 60
    manager = LoginManager(server)
    manager.session_protection = None  # the cookie is bound by its epoch/token check instead of IP+agent

    @manager.user_loader
    def load(user_key: str):
        kind, _, rest = user_key.partition(":")
        try:
            if kind == "u":
                user_id, epoch = rest.split(":")
                return accounts.load(engine, int(user_id), int(epoch))
            if kind == "d":
                return tokens.load(engine, DISPLAY, int(rest))
        except ValueError:
            return None
        return None

    def _exchange_display_token(secret: str):
        identity = tokens.authenticate(engine, DISPLAY, secret)
        if identity is None or not _within(request.path, identity.views):
            audit.record(engine, "anonymous", audit.TOKEN_REFUSED, request.path, {"kind": DISPLAY}, client_ip())
            return refuse(403, "display token refused")
        session.clear()
        login_user(identity)
        session["sid"] = secrets.token_urlsafe(16)
        session.permanent = True  # survives a restart of the screen's browser (people's sessions do not)
        audit.record(engine, identity.actor, audit.TOKEN_USED, request.path, {"kind": DISPLAY}, client_ip())
        args = {k: v for k, v in request.args.items(multi=True) if k != "token"}
        return redirect(request.path + (f"?{urlencode(args)}" if args else ""))  # the token leaves the URL

    def _bearer():
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        if not (request.path.startswith(API_PREFIX) or request.path == METRICS_PATH):
            return refuse(401, "API tokens open /api/v1 and /metrics only")
        identity = tokens.authenticate(engine, API, header[7:].strip())
        if identity is None:
            audit.record(engine, "anonymous", audit.TOKEN_REFUSED, request.path, {"kind": API}, client_ip())
            return refuse(401, "invalid, expired or revoked token")
        if request.method not in ("GET", "HEAD"):
            return refuse(403, "API tokens read only")
        if request.url_rule is None or request.url_rule.rule in DASH_PAGES:
            return refuse(404, "no such API")  # not Dash's catch-all page
        g.identity = identity
        audit.record(engine, identity.actor, audit.TOKEN_USED, request.path, {"kind": API}, client_ip())
        return None

    def _person_expired(identity) -> bool:
        now_s = int(time.time())
        seen = session.get("seen", 0)
        if now_s - seen > idle_seconds:
            logout_user()
            session.clear()
            return True
        if now_s - seen >= 30:  # rewrite the cookie at most twice a minute
            session["seen"] = now_s
        return False

    def _single_sign_on():
        """A person named by the trusted proxy's header (IOC_SSO_HEADER; needs IOC_TRUSTED_PROXIES)."""
        if not (settings.sso_header and settings.trusted_proxies):
            return None
        name = request.headers.get(settings.sso_header)
        return accounts.by_name(engine, name) if name else None

    @server.before_request
    def guard():
        g.identity = None
        if request.method in UNSAFE_METHODS and not _same_origin():
            return refuse(403, "cross-origin request refused")
        refused = _bearer()
        if refused is not None or g.identity is not None:
            return refused
        secret = request.args.get("token")
        if secret and request.method == "GET" and request.path.startswith(WALL_PREFIX):
            return _exchange_display_token(secret)
        identity = current_user._get_current_object() if current_user.is_authenticated else _single_sign_on()
        if identity is not None and identity.kind == PERSON and current_user.is_authenticated \
                and _person_expired(identity):
            identity = None
        if identity is None:
            return None if is_public(request.path) else refuse(401, "sign in first")
        g.identity = identity
        return _allowed(identity)

    def _allowed(identity):
        path = request.path
        if identity.kind == DISPLAY:
            if path.startswith(DASH_ENDPOINTS):
                if path == "/_dash-update-component":
                    paths = _callback_paths(request.get_json(silent=True) or {})
                    if any(not _within(p, identity.views) for p in paths):
                        return refuse(403, "a wall screen opens its views only")
                return None
            return None if _within(path, identity.views) or is_public(path) else \
                refuse(403, "a wall screen opens its views only")
        if path.startswith(API_PREFIX) and request.method not in ("GET", "HEAD"):
            return refuse(403, "the API is read only")
        for prefix, permission in PERMISSION_BY_PREFIX:
            if (path == prefix or path.startswith(prefix + "/")) and not identity.can(permission):
                return refuse(403, "not permitted")
        if path == "/_dash-update-component":
            for p in _callback_paths(request.get_json(silent=True) or {}):
                needed = page_permission(p)
                if needed and not identity.can(needed):
                    return refuse(403, "not permitted")
        return None

    @server.after_request
    def exports_need_permission(response):
        """A download needs the export permission and is audited: a file (Content-Disposition: attachment)
        from any route, or a dcc.Download's file in a callback's answer."""
        if "attachment" in response.headers.get("Content-Disposition", ""):
            files = [response.headers["Content-Disposition"][:200]]
        elif request.path == "/_dash-update-component" and response.status_code == 200 \
                and b'"filename"' in response.get_data():
            files = list(_downloads(response.get_json(silent=True)))
        else:
            return response
        if not files:
            return response
        identity = g.get("identity")
        if identity is None or not identity.can(EXPORT):
            refused = jsonify(error="exports need the export permission")
            refused.status_code = 403
            return refused
        for name in files:
            audit.record(engine, identity.actor, audit.EXPORT, request.full_path.rstrip("?"), {"file": name},
                         client_ip())
        return response


def _downloads(node):
    """The file names of dcc.Download payloads ({content, filename, ...}) anywhere in a callback's answer."""
    if isinstance(node, dict):
        if "filename" in node and "content" in node:
            yield str(node["filename"])[:200]
        for value in node.values():
            yield from _downloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _downloads(value)


