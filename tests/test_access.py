"""Accounts and doors: scope in the data layer, crafted cross-scope callbacks, session fixation, cookie flags,
idle timeout, lockout, CSRF, exports, injection strings, the audit log's append-only triggers, the CLI."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from access import accounts, audit, throttle, tokens
from access.scope import EVERYTHING, Scope
from app import create_app
from config import ROOT, Settings
from ingest import pipeline
from tests.conftest import add_person, at, sign_in, signed_in_client, test_settings
from tests.records import dossier, given, ticket
from tests.test_app import call, route, walk

MINE, OTHER = "26506", "26526"
XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"
SQLI = "'; DROP TABLE dossiers; --"


@pytest.fixture
def app(engine, db_url):
    rows = [dossier("D1", unit=MINE, completed="2025-07-02 10:00", status="completed"),
            dossier("D2", unit=OTHER, completed="2025-07-02 10:00", status="completed"),
            dossier("D3", unit=OTHER, completed="2025-07-09 10:00", status="completed")]
    pipeline.pull(engine, given([("dossier", rows), ("ticket", [ticket("T1", unit=MINE, category=XSS)])]),
                  until=at("2025-07-10 00:00"))
    return create_app(test_settings(db_url))


def test_scope_masks_rows_and_keeps_the_city_for_everything_only():
    import pandas as pd

    frame = pd.DataFrame({"k": [1.0, 2.0, 3.0]}, index=[MINE, OTHER, "city"])
    assert Scope.parse(MINE).mask(frame)["k"].isna().tolist() == [False, True, True]
    assert EVERYTHING.mask(frame)["k"].tolist() == [1.0, 2.0, 3.0]
    assert Scope.parse(f"{MINE}, SO-TC").units == {MINE, "SO-TC"} and Scope.parse("*").everything
    assert not Scope().allows(MINE) and Scope.parse(MINE).allows(MINE) and not Scope.parse(MINE).allows("city")


def test_crafted_callbacks_for_another_commune_return_none_of_its_data(app, engine):
    officer = signed_in_client(app, engine, "officer", "commune_officer", MINE)
    leader = signed_in_client(app, engine, "boss", "leader", "*")
    # the drill-down's redraw callback with the other commune's code in its state
    from callbacks.commune import _PROPERTY, DYNAMIC

    outputs = [{"id": i, "property": _PROPERTY.get(i, "children")} for i in DYNAMIC] + \
        [{"id": "commune-period", "property": "value"}, {"id": "commune-cmp", "property": "value"},
         {"id": "commune-period-range", "property": "start_date"}, {"id": "commune-period-range", "property": "end_date"}]
    ask = dict(output=outputs, inputs=[{"id": "url", "property": "search", "value": "?period=since_merger"}],
               state=[{"id": "commune-code", "property": "data", "value": OTHER}])
    theirs, mine_too = call(officer, **ask), call(leader, **ask)
    def counted(answer) -> float:  # every dossier the daily chart draws (days without data are drawn at 0)
        import base64

        import numpy as np

        def values(y):  # plotly sends numeric arrays as {"dtype", "bdata"} (base64)
            if isinstance(y, dict):
                return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
            return np.asarray(y or [], dtype=float)

        return float(sum(np.nansum(values(t.get("y"))) for t in answer["commune-dossiers"]["figure"]["data"]))

    assert counted(mine_too) > 0 and counted(theirs) == 0
    tiles = json.dumps(theirs["commune-tiles"])
    assert "50" not in re.sub(r'"[a-z_-]+"', "", tiles)  # the other commune's on-time rate (1 of 2) is absent
    # the overview's map: the other commune and the city read as no data for the officer
    for client, other_z in ((leader, 50.0), (officer, None)):
        page = route(client, "/", "?period=since_merger")
        graph = next(c for c in walk(page) if c.get("props", {}).get("id") == "overview-map")
        mainland = graph["props"]["figure"]["data"][0]
        z = dict(zip(mainland["locations"], mainland["z"]))
        assert z[OTHER] == other_z and z[MINE] == 100.0
    # the sources page (raw quarantined payloads) is refused to a commune officer by the guard
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/sources"}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    assert officer.post("/_dash-update-component", json=body).status_code == 403
    assert leader.post("/_dash-update-component", json=body).status_code == 200


def test_frame_readers_outside_a_request_read_everything_and_json_hides_other_scopes(app, engine):
    from datetime import date

    from metrics.frame import kpi_frame, kpi_frame_json

    assert kpi_frame(engine, date(2025, 7, 1), date(2025, 7, 10)).loc[OTHER, "on_time_rate"] == 50.0  # CLI, worker
    from access.identity import PERSON, Identity
    from access.roles import role
    from flask import g

    with app.server.test_request_context("/"):
        g.identity = Identity.build(PERSON, 1, "o", role("commune_officer"), MINE)
        assert kpi_frame_json(engine, MINE, date(2025, 7, 1), date(2025, 7, 10))["scope"] == MINE
        for hidden in (OTHER, "city"):
            with pytest.raises(KeyError):
                kpi_frame_json(engine, hidden, date(2025, 7, 1), date(2025, 7, 10))


def test_session_fixation_logout_and_idle_timeout(app, engine):
    password = add_person(engine, "alice", "staff", MINE)
    client = app.server.test_client()
    client.get("/login")
    planted = client.get_cookie("ioc_session").value  # what an attacker could have planted before login
    with client.session_transaction() as s:
        before = dict(s)
    assert sign_in(client, "alice", password).status_code == 302
    with client.session_transaction() as s:
        after = dict(s)
    assert after["csrf"] != before["csrf"] and after.get("sid") and "_user_id" not in before
    stranger = app.server.test_client()
    stranger.set_cookie("ioc_session", planted)
    assert stranger.get("/", headers={"Accept": "text/html"}).status_code == 302  # the planted cookie is no session
    copy = client.get_cookie("ioc_session").value
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    # logout ends every copy of the session (the user's session epoch moves on)
    assert client.post("/logout", data={"csrf": after["csrf"]}).status_code == 302
    thief = app.server.test_client()
    thief.set_cookie("ioc_session", copy)
    assert thief.get("/", headers={"Accept": "text/html"}).headers["Location"].startswith("/login")
    # idle timeout: a session last seen longer ago than IOC_IDLE_MINUTES is over
    sign_in(client, "alice", password)
    with client.session_transaction() as s:
        s["seen"] = int(time.time()) - 31 * 60
    assert client.get("/", headers={"Accept": "text/html"}).headers["Location"].startswith("/login")


def test_cookie_flags_and_security_headers(db_url, engine, app):
    password = add_person(engine, "bob", "leader")
    plain = app.server.test_client()
    cookie = sign_in(plain, "bob", password).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" not in cookie  # a person's session ends with the browser
    page = plain.get("/", headers={"Accept": "text/html"})
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0] and "sha256-" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in page.headers
    tls = create_app(test_settings(db_url, IOC_TLS="1")).server.test_client()
    assert "Secure" in sign_in(tls, "bob", password).headers["Set-Cookie"]
    proxied = create_app(test_settings(db_url, IOC_TRUSTED_PROXIES="1")).server.test_client()
    https = {"X-Forwarded-Proto": "https"}
    login = proxied.get("/login", headers=https)
    assert "Secure" in login.headers["Set-Cookie"] and "max-age=31536000" in login.headers["Strict-Transport-Security"]


def test_lockout_holds_across_workers_and_is_audited(app, db_url, engine):
    password = add_person(engine, "carol", "staff", MINE)
    first, second = app.server.test_client(), create_app(test_settings(db_url)).server.test_client()
    for _ in range(throttle.NAME_FAILURES):
        assert sign_in(first, "carol", "wrong password").status_code == 401
    locked = sign_in(second, "carol", password)  # the right password, on another worker: still locked
    assert locked.status_code == 429 and "Tạm khóa" in locked.get_data(as_text=True)
    actions = [e["action"] for e in audit.recent(engine, 20) if e["actor"] == "carol"]
    assert actions.count(audit.LOGIN_FAILED) == throttle.NAME_FAILURES and audit.LOGIN_LOCKED in actions


def test_csrf_and_origin(app, engine):
    password = add_person(engine, "dave", "admin")
    client = app.server.test_client()
    client.get("/login")
    no_token = client.post("/login", data={"username": "dave", "password": password})
    assert no_token.status_code == 400
    assert sign_in(client, "dave", password).status_code == 302
    assert client.post("/admin/users", data={"username": "eve", "role": "leader"}).status_code == 400
    assert accounts.count(engine) == 1
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}], "state": [], "changedPropIds": []}
    evil = client.post("/_dash-update-component", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403


def test_admin_page_creates_users_and_tokens_and_everything_is_audited(app, engine):
    admin = signed_in_client(app, engine, "root", "admin", "*")
    with admin.session_transaction() as s:
        csrf = s["csrf"]
    made = admin.post("/admin/users", data={"csrf": csrf, "username": "frank", "role": "commune_officer",
                                             "scope": MINE}).get_data(as_text=True)
    password = re.search(r"frank: ([\w-]+)", made).group(1)
    assert sign_in(app.server.test_client(), "frank", password).status_code == 302
    wall = admin.post("/admin/tokens", data={"csrf": csrf, "kind": "display", "name": "wall", "scope": MINE})
    secret = re.search(r"(iocd_[\w-]+)", wall.get_data(as_text=True)).group(1)
    assert app.server.test_client().get(f"/wall?token={secret}").status_code == 302
    bad = admin.post("/admin/users", data={"csrf": csrf, "username": "x", "role": "commune_officer", "scope": "99999"})
    assert bad.status_code == 400
    actions = {e["action"] for e in audit.recent(engine)}
    assert {"login", "user_added", "token_created", "token_used"} <= actions
    officer = signed_in_client(app, engine, "gina", "commune_officer", MINE)
    assert officer.get("/admin").status_code == 403


def test_exports_need_the_export_permission_and_leave_a_trace(engine, db_url):
    from flask import Response

    app = create_app(test_settings(db_url))
    app.server.add_url_rule("/export/test.csv", "test_export", lambda: Response(
        "a,b\n", headers={"Content-Disposition": "attachment; filename=test.csv"}))
    staff = signed_in_client(app, engine, "hank", "staff", MINE)
    officer = signed_in_client(app, engine, "ida", "commune_officer", MINE)
    assert officer.get("/export/test.csv").status_code == 403
    assert staff.get("/export/test.csv").status_code == 200
    # a file sent through a dcc.Download by a callback: the same rule
    from dash import Input, Output, dcc

    @app.callback(Output("test-download", "data"), Input("test-export-button", "n_clicks"))
    def send(_):
        return dcc.send_string("a,b\n", "commune.csv")

    body = {"output": "test-download.data", "outputs": {"id": "test-download", "property": "data"},
            "inputs": [{"id": "test-export-button", "property": "n_clicks", "value": 1}], "state": [],
            "changedPropIds": ["test-export-button.n_clicks"]}
    assert officer.post("/_dash-update-component", json=body).status_code == 403
    assert staff.post("/_dash-update-component", json=body).status_code == 200
    exports = audit.recent(engine, action=audit.EXPORT)
    assert [(e["actor"], e["target"], json.loads(e["detail"])["file"]) for e in reversed(exports)] == [
        ("hank", "/export/test.csv", "attachment; filename=test.csv"),
        ("hank", "/_dash-update-component", "commune.csv")]


def test_injection_strings_are_inert(app, engine):
    client = signed_in_client(app, engine, "judy", "leader", "*")
    with engine.begin() as conn:
        conn.execute(text("UPDATE communes SET name = :n WHERE code = :c"), {"n": XSS, "c": MINE})
    for path, search in ((f"/commune/{MINE}", "?period=since_merger"), (f"/commune/{SQLI}", f"?period={SQLI}"),
                         ("/", f"?kpi={SQLI}&period={XSS}")):
        page = route(client, path, search)
        assert not any(n.get("props", {}).get("dangerously_allow_html") for n in walk(page))
        assert not any(n.get("type") in ("Iframe", "Script") for n in walk(page))
    drill = json.dumps(route(client, f"/commune/{MINE}", "?period=since_merger"))
    assert json.dumps(XSS)[1:-1] in drill  # shown as text: React escapes text children
    # ticket text from the source (a category) reaches the chart only as data
    assert sign_in(app.server.test_client(), SQLI, SQLI).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM dossiers")).scalar() == 3
    # the plain pages escape what they echo
    admin = signed_in_client(app, engine, "kim", "admin", "*")
    with admin.session_transaction() as s:
        csrf = s["csrf"]
    admin.post("/admin/tokens", data={"csrf": csrf, "kind": "api", "name": XSS, "scope": MINE})
    html = admin.get("/admin").get_data(as_text=True)
    assert XSS not in html and "&lt;script&gt;" in html
    login = app.server.test_client().get(f"/login?next={XSS}").get_data(as_text=True)
    assert "<script>" not in login


def test_audit_log_is_append_only(engine):
    audit.record(engine, "tester", "probe", "x")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_log"))
    assert [e["actor"] for e in audit.recent(engine)] == ["tester"]


def test_roles_and_scopes_are_checked(engine):
    with pytest.raises(accounts.AccountError):
        accounts.add(engine, "x", "commune_officer", f"{MINE} {OTHER}", "long enough pw")
    with pytest.raises(accounts.AccountError):
        accounts.add(engine, "x", "department_head", "", "long enough pw")
    with pytest.raises(ValueError):
        accounts.add(engine, "x", "emperor", "*", "long enough pw")
    accounts.add(engine, "y", "leader", MINE, "long enough pw")
    assert accounts.listing(engine)[0]["scope"] == "*"  # a leader reads everything whatever was given
    assert accounts.authenticate(engine, "y", "long enough pw").scope.everything
    accounts.set_disabled(engine, "y")
    assert accounts.authenticate(engine, "y", "long enough pw") is None
    token_id, secret = tokens.create(engine, "api", "t", MINE, "test")
    assert tokens.authenticate(engine, "api", secret).scope.units == {MINE}
    assert tokens.authenticate(engine, "display", secret) is None and secret not in json.dumps(
        tokens.listing(engine), default=str)


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Settings.from_env({"IOC_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings.from_env({"DATABASE_URL": "postgresql+psycopg://x@h/db"}).session_secret()
    assert Settings.from_env({"IOC_ENV": "production", "SECRET_KEY": "k" * 64}).session_secret() == "k" * 64
    embedded = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}).session_secret()
    from config import SECRET_FILE

    assert embedded == SECRET_FILE.read_text().strip() and len(embedded) == 64
    assert SECRET_FILE.stat().st_mode & 0o077 == 0


def test_cli_users_tokens_audit(sqlite_url):
    env = {"DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"}

    def run(*args):
        done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "first administrator: admin / " in run("users", "bootstrap")  # what `make run` does on an empty store
    assert "nothing to do" in run("users", "bootstrap")
    assert "password (shown once)" in run("users", "add", "lan", "--role", "commune_officer", "--scope", MINE)
    assert "new password for lan" in run("users", "reset", "lan")
    run("users", "disable", "lan")
    assert "DISABLED" in run("users", "list")
    made = run("tokens", "add", "display", "hall", "--scope", MINE)
    assert "/wall?token=iocd_" in made
    token_id = made.split()[1]
    run("tokens", "revoke", token_id)
    assert "revoked" in run("tokens", "list")
    log = run("audit", "list")
    assert all(a in log for a in ("user_added", "password_reset", "user_disabled", "token_created", "token_revoked"))


def test_login_follows_only_local_paths_and_speaks_english_on_request(app, engine):
    password = add_person(engine, "max", "leader")
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page and 'lang="vi"' in page
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)
    for target, landing in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/commune/26506", "/commune/26506")):
        client = app.server.test_client()
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        done = client.post("/login", data={"username": "max", "password": password, "csrf": csrf, "next": target})
        assert done.headers["Location"] == landing
    assert client.get("/commune/26506", headers={"Accept": "text/html"}).status_code == 200
    # a stranger is sent to the login page with the place they wanted
    assert app.server.test_client().get("/commune/26506", headers={"Accept": "text/html"}).headers[
        "Location"] == "/login?next=%2Fcommune%2F26506"


def test_trusted_header_single_sign_on_is_off_unless_configured(engine, db_url):
    add_person(engine, "nina", "commune_officer", MINE)
    header = {"X-Remote-User": "nina", "Accept": "text/html"}
    off = create_app(test_settings(db_url)).server.test_client()
    assert off.get("/", headers=header).status_code == 302
    untrusted = create_app(test_settings(db_url, IOC_SSO_HEADER="X-Remote-User")).server.test_client()
    assert untrusted.get("/", headers=header).status_code == 302  # without a trusted proxy the header is ignored
    sso = create_app(test_settings(db_url, IOC_SSO_HEADER="X-Remote-User", IOC_TRUSTED_PROXIES="1"))
    client = sso.server.test_client()
    assert client.get("/", headers=header).status_code == 200
    assert client.get("/", headers={**header, "X-Remote-User": "nobody"}).status_code == 302
    accounts.set_disabled(engine, "nina")
    assert client.get("/", headers=header).status_code == 302


def test_a_lockout_is_per_name(app, engine):
    add_person(engine, "olga", "staff", MINE)
    password = add_person(engine, "pete", "staff", MINE)
    client = app.server.test_client()
    for _ in range(throttle.NAME_FAILURES):
        sign_in(client, "olga", "wrong password")
    assert sign_in(client, "pete", password).status_code == 302


def test_snapshots_of_another_scope_are_not_made_listed_or_downloaded(app, engine):
    from datetime import date

    from snapshots import store
    from snapshots.scope import parse_scope

    first, last = date(2025, 7, 1), date(2025, 7, 9)
    made = {name: store.create(engine, parse_scope(engine, scope), first, last).id  # outside a request: everything
            for name, scope in (("mine", f"commune:{MINE}"), ("theirs", f"commune:{OTHER}"), ("city", "city"))}
    staff = signed_in_client(app, engine, "jan", "staff", MINE)
    listed = {s["id"] for s in staff.get("/api/v1/snapshots").get_json()["snapshots"]}
    assert listed == {made["mine"]}
    assert staff.get(f"/api/v1/snapshots/{made['mine']}.json").status_code == 200
    for name in ("theirs", "city"):  # as if it did not exist
        assert staff.get(f"/api/v1/snapshots/{made[name]}.json").status_code == 404
    assert staff.get(f"/api/v1/kpis?scope=commune:{OTHER}").status_code == 403
    mine = staff.get(f"/api/v1/kpis?scope=commune:{MINE}&from=2025-07-01&to=2025-07-09").get_json()
    assert mine["kpis"]["dossiers_received"]["value"] == 1
    leader = signed_in_client(app, engine, "kim", "leader", "*")
    assert {s["id"] for s in leader.get("/api/v1/snapshots").get_json()["snapshots"]} == set(made.values())
    # the export button on another commune's page makes nothing for a scoped reader
    key = next(k for k in app.callback_map if "export-download" in k)
    spec = app.callback_map[key]
    body = {"output": key, "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                                       for o in key.strip(".").split("...")],
            "inputs": [{"id": i["id"], "property": i["property"], "value": 1} for i in spec["inputs"]],
            "state": [{"id": "export-format", "property": "value", "value": "csv"},
                      {"id": "url", "property": "pathname", "value": f"/commune/{OTHER}"},
                      {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}
    answer = staff.post("/_dash-update-component", json=body)
    assert answer.status_code == 200 and "outside the units you may read" in answer.get_data(as_text=True)
    assert len(store.listing(engine)) == 3


def test_a_wall_token_shows_its_scope_only_even_after_a_leader_filled_the_cache(app, engine):
    from access import tokens

    leader = signed_in_client(app, engine, "lee", "leader", "*")
    _, secret = tokens.create(engine, "display", "ward wall", MINE, "test")
    wall = app.server.test_client()
    assert wall.get(f"/wall?token={secret}").status_code == 302
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/wall"}],
            "state": [{"id": "url", "property": "search", "value": "?views=tiles&rotate=0&period=since_merger"}],
            "changedPropIds": ["url.pathname"]}

    def tile_texts(client) -> list[str]:  # the headline tiles' values: the city's, for a reader of everything
        answer = client.post("/_dash-update-component", json=body).get_json()["response"]["page"]["children"]
        return [str(c["props"].get("children")) for c in walk(answer)
                if "tile-value" in str(c.get("props", {}).get("className", ""))]

    city = tile_texts(leader)  # first: the leader's content is built and cached
    scoped = tile_texts(wall)
    assert "3" in city and scoped and all(v == "–" for v in scoped)
