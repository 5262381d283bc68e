"""Security headers on every response, and a CSP that Dash and Plotly work under.

Scripts: only our own origin plus the sha256 of Dash's one inline script (the renderer's start), computed
by Dash itself (`csp_hashes`); no 'unsafe-inline' and no 'unsafe-eval' for scripts. Styles need
'unsafe-inline': Plotly and Dash's components set style attributes and inject <style> elements at run time.
"""
from __future__ import annotations

from flask import request


def policy(script_hashes: list[str], frame_ancestors: str = "'none'") -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def register(app) -> None:
    # After the layout and callbacks exist: the renderer's inline script is final by then.
    csp = policy(app.csp_hashes())

    @app.server.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith(
                ("/_dash-component-suites/", "/assets/", "/login/static/")):
            h.setdefault("Cache-Control", "no-store")  # pages and data are per identity
        return response
