"""Who may see what: accounts, roles, scopes, tokens, the audit log and the one guard in front of every request.

`install(app)` puts the guard, the login pages, the admin pages and the security headers on the Dash app's
Flask server; `access.scope.current()` is what the data layer (metrics/frame.py) filters rows by.
"""
from __future__ import annotations


def install(app, engine) -> None:
    from access import cookies, guard, headers, web

    cookies.register(app.server)
    web.register(app.server, engine)
    guard.register(app.server, engine)
    headers.register(app)
