"""The login, logout and admin pages: plain Flask routes and templates, so they work before any identity
exists (Dash pages need one). Every form carries a per-session CSRF token."""
from __future__ import annotations

import hmac
import secrets
import time
from datetime import datetime

from flask import Blueprint, abort, g, redirect, render_template, request, session
from flask_login import login_user, logout_user
from sqlalchemy import Engine

from access import accounts, audit, throttle, tokens
from access.guard import LOGIN_PATH, client_ip
from access.identity import PERSON
from access.labels import labels
from access.roles import MANAGE, ROLES
from metrics.time import TZ, now


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    sent, kept = request.form.get("csrf", ""), session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(sent, kept)


def _lang() -> str:
    return "en" if (request.values.get("lang") == "en") else "vi"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host, no backslash tricks) is followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _local(value: datetime | None) -> str:
    return value.astimezone(TZ).strftime("%d/%m/%Y %H:%M") if value else "–"


def start_session(identity) -> None:
    """A new session for a person who just proved who they are: whatever the old cookie held is dropped
    (session fixation) and a new session nonce and CSRF token are drawn."""
    session.clear()
    login_user(identity)
    session["sid"] = secrets.token_urlsafe(16)
    session["seen"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def register(server, engine: Engine) -> None:
    bp = Blueprint("access", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/login/static")
    server.jinja_env.globals.setdefault("csrf_token", csrf_token)

    def page(template: str, status: int = 200, **context):
        lang = _lang()
        return render_template(template, lang=lang, L=labels(lang), csrf=csrf_token(), **context), status

    @bp.get(LOGIN_PATH)
    def login_form():
        return page("login.html", next=_safe_next(request.args.get("next")),
                    message=labels(_lang())["signed_out"] if "signed_out" in request.args else None)

    @bp.post(LOGIN_PATH)
    def login():
        L, target = labels(_lang()), _safe_next(request.form.get("next"))
        if not csrf_ok():
            return page("login.html", 400, next=target, error=L["expired_form"])
        username = request.form.get("username", "").strip()[:64]
        password = request.form.get("password", "")
        until = throttle.locked_until(engine, username, client_ip())
        if until is not None:
            audit.record(engine, username, audit.LOGIN_LOCKED, LOGIN_PATH, ip=client_ip())
            minutes = max(1, round((until - now()).total_seconds() / 60))
            return page("login.html", 429, next=target, error=L["locked"].format(minutes=minutes))
        identity = accounts.authenticate(engine, username, password)
        if identity is None:
            audit.record(engine, username, audit.LOGIN_FAILED, LOGIN_PATH, ip=client_ip())
            return page("login.html", 401, next=target, error=L["bad_login"])
        start_session(identity)
        audit.record(engine, identity.actor, audit.LOGIN_OK, LOGIN_PATH, {"role": identity.role.name}, client_ip())
        return redirect(target)

    @bp.get("/logout")
    def logout_form():
        return page("logout.html")

    @bp.post("/logout")
    def logout():
        if not csrf_ok():
            return page("logout.html", 400, error=labels(_lang())["expired_form"])
        identity = g.get("identity")
        if identity is not None and identity.kind == PERSON:
            accounts.end_sessions(engine, identity.key)  # copies of the cookie stop working too
            audit.record(engine, identity.actor, audit.LOGOUT, "/logout", ip=client_ip())
        logout_user()
        session.clear()
        return redirect(f"{LOGIN_PATH}?signed_out=1" + ("&lang=en" if _lang() == "en" else ""))

    def admin_page(status: int = 200, **context):
        return page("admin.html", status, users=accounts.listing(engine), tokens=tokens.listing(engine),
                    entries=audit.recent(engine, 200), roles=list(ROLES), when=_local, **context)

    def admin_action(action: str, target: str, detail: dict | None = None):
        audit.record(engine, g.identity.actor, action, target, detail, client_ip())

    @bp.get("/admin")
    def admin():
        if not g.identity.can(MANAGE):
            abort(403)
        return admin_page()

    @bp.post("/admin/<path:what>")
    def admin_post(what: str):
        if not g.identity.can(MANAGE):
            abort(403)
        if not csrf_ok():
            return admin_page(400, error=labels(_lang())["expired_form"])
        f = request.form
        try:
            if what == "users":
                password = accounts.new_password()
                accounts.add(engine, f.get("username", ""), f.get("role", ""), f.get("scope", ""), password)
                admin_action("user_added", f["username"], {"role": f.get("role"), "scope": f.get("scope", "")})
                return admin_page(secret=f"{f['username']}: {password}")
            if what in ("users/disable", "users/enable"):
                accounts.set_disabled(engine, f.get("username", ""), what.endswith("disable"))
                admin_action("user_" + what.split("/")[1] + "d", f.get("username", ""))
                return admin_page()
            if what == "users/reset":
                password = accounts.new_password()
                accounts.reset_password(engine, f.get("username", ""), password)
                admin_action("password_reset", f.get("username", ""))
                return admin_page(secret=f"{f['username']}: {password}")
            if what == "tokens":
                expires = datetime.fromisoformat(f["expires"]).replace(tzinfo=TZ) if f.get("expires") else None
                token_id, secret = tokens.create(engine, f.get("kind", ""), f.get("name", "")[:200] or "token",
                                                 f.get("scope", ""), g.identity.actor, f.get("views", ""), expires)
                admin_action("token_created", str(token_id), {"kind": f.get("kind"), "scope": f.get("scope", "")})
                return admin_page(secret=secret)
            if what == "tokens/revoke":
                token_id = int(f.get("id", "0"))
                if tokens.revoke(engine, token_id):
                    admin_action("token_revoked", str(token_id))
                return admin_page()
        except (ValueError, KeyError) as exc:
            return admin_page(400, error=str(exc))
        abort(404)

    server.register_blueprint(bp)
