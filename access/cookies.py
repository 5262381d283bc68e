"""The session cookie: HttpOnly, SameSite=Lax, Secure over TLS (IOC_TLS, or https seen through a trusted proxy).

Lax rather than Strict: a link to the dashboard in a mail or chat must open the page signed in; cross-site
POSTs (the only state-changing requests) carry no cookie under Lax anyway.
"""
from __future__ import annotations

from datetime import timedelta

from flask import request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

COOKIE_NAME = "ioc_session"


class SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def register(server) -> None:
    settings = server.config["IOC_SETTINGS"]
    server.config.update(SESSION_COOKIE_NAME=COOKIE_NAME, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.tls,
                         REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
                         # only wall screens' sessions are permanent; browsers keep a cookie 400 days at most
                         PERMANENT_SESSION_LIFETIME=timedelta(days=400))
    server.session_interface = SessionInterface()
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
