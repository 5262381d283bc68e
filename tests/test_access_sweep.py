"""Every door locked: walks the server's URL map and the app's callback map, without an identity and as each
role, display token and API token. Without an identity every rule and callback is refused (except the short
public list); with one, each answers within its scope or refuses. The counts are printed at the end of the run
(and kept in tests/conftest.ACCESS_SWEEP), so a new route or callback that forgets protection fails here."""
from __future__ import annotations

import re

import pytest

from access import guard, tokens
from app import create_app
from ingest import pipeline
from store.db import engine_for
from tests.conftest import ACCESS_SWEEP, at, signed_in_client, test_settings
from tests.records import dossier, given, ticket

MINE, OTHER = "26506", "26526"  # the commune officer's commune, and another one
SECRET_OTHER = "Category-only-26526-zq"  # a ticket category only the other commune has
# The public list, rule by rule: what each serves without an identity (nothing from the store).
PUBLIC_RULES = {"/login", "/healthz", "/readyz", "/_favicon.ico", "/login/static/<path:filename>",
                "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
                "/assets/<path:filename>",
                "/geo/<name>"}  # the open boundaries the map draws (geo/web.py): public data, no records
SAMPLE_ARGS = {"package_name": "dash", "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
               "filename": "style.css", "path": f"commune/{OTHER}", "what": "users", "name": "AAAAAAAAAAAA.json",
               "rest": "no/such/api"}
PEOPLE = {"leader": "*", "department_head": f"SO-TC {MINE}", "commune_officer": MINE, "staff": MINE, "admin": "*"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('sweep') / 'ioc.db'}"
    upgrade(url)
    engine = engine_for(url)
    rows = [dossier("D1", unit=MINE, completed="2025-07-02 10:00", status="completed"),
            dossier("D2", unit=OTHER, completed="2025-07-02 10:00", status="completed"),
            dossier("D3", unit=OTHER, completed="2025-07-09 10:00", status="completed"),
            dossier("D4", unit=OTHER, completed="2025-07-09 10:00", status="completed")]
    tickets = [ticket("T1", unit=OTHER, category=SECRET_OTHER), ticket("T2", unit=MINE)]
    pipeline.pull(engine, given([("dossier", rows), ("ticket", tickets)]), until=at("2025-07-10 00:00"))
    app = create_app(test_settings(url))
    clients = {role: signed_in_client(app, engine, f"sweep-{role}", role, scope) for role, scope in PEOPLE.items()}
    return app, engine, clients


def rule_url(rule) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_ARGS[m.group(1)], rule.rule)


def rules(app):
    return [r for r in app.server.url_map.iter_rules() if r.endpoint != "static"]


def request_rule(client, rule, method: str):
    url = rule_url(rule)
    if method == "POST":
        return client.post(url, json={}, headers={"Accept": "application/json"})
    return client.get(url, headers={"Accept": "text/html"})


def refused(response) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 302 and response.headers["Location"].startswith("/login"))


def _pattern(component_id) -> bool:
    """A pattern-matching id (ALL, MATCH): the request names the matching components, here none."""
    return isinstance(component_id, dict) and any(not isinstance(v, (str, int, float, bool))
                                                  for v in component_id.values())


def outputs_of(spec) -> list:
    outs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
    return [[] if _pattern(o.component_id) else {"id": o.component_id, "property": o.component_property}
            for o in outs]


SAMPLE_VALUES = {("url", "pathname"): f"/commune/{OTHER}", ("url", "search"): "?period=since_merger",
                 ("commune-code", "data"): OTHER, ("overview-map", "clickData"): {"points": [{"location": OTHER}]}}


def sample(item):
    if isinstance(item["id"], dict) or str(item["id"]).startswith("{"):
        return []  # a pattern-matching input: no component on the page the request names
    key = (item["id"], item["property"])
    value = SAMPLE_VALUES.get(key, "since_merger" if item["property"] == "value" else None)
    return {**item, "value": value}


def callback_body(key: str, spec) -> dict:
    inputs = [sample(i) for i in spec["inputs"]]
    outputs = outputs_of(spec)
    return {"output": key, "outputs": outputs if isinstance(spec["output"], list) else outputs[0],
            "inputs": inputs, "state": [sample(s) for s in spec["state"]],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs and inputs[0] else []}


def test_every_rule_is_refused_without_an_identity_except_the_public_list(world):
    app = world[0]
    client = app.server.test_client()
    checked = refused_count = 0
    for rule in rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            checked += 1
            response = request_rule(client, rule, method)
            if rule.rule in PUBLIC_RULES and method == "GET":
                assert response.status_code in (200, 404, 503), (rule.rule, response.status_code)  # 503: not ready
                continue
            if (rule.rule, method) == ("/login", "POST"):  # public, but not without the form's CSRF token
                assert response.status_code == 400
            else:
                assert refused(response), (rule.rule, method, response.status_code)
            refused_count += 1
    ACCESS_SWEEP.update(routes_checked=checked, routes_refused_without_identity=refused_count)
    assert checked > refused_count > 10
    # the public list serves no data: a data-bearing asset needs an identity
    assert refused(client.get("/assets/topojson/world_110m.json"))
    assert refused(client.get("/assets/../app.py")) and refused(client.get("/assets/x.csv"))


def server_callbacks(app) -> dict:
    """The callback map without the clientside callbacks (the browser runs those; the server has no function)."""
    clientside = {c["output"] for c in app._callback_list if c.get("clientside_function")}
    return {key: spec for key, spec in app.callback_map.items() if key not in clientside}


def test_every_callback_is_refused_without_an_identity(world):
    app = world[0]
    client = app.server.test_client()
    for key, spec in app.callback_map.items():  # clientside ones included: the server refuses before it looks
        response = client.post("/_dash-update-component", json=callback_body(key, spec))
        assert response.status_code == 401, (key, response.status_code)
    ACCESS_SWEEP.update(callbacks_checked=len(app.callback_map), callbacks_refused_without_identity=len(app.callback_map))
    assert len(server_callbacks(app)) >= 6


@pytest.mark.parametrize("role", list(PEOPLE))
def test_every_rule_and_callback_as_each_role_answers_in_scope_or_refuses(world, role):
    app, _, clients = world
    client = clients[role]
    for rule in rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            if rule.rule in ("/logout", "/_dash-update-component"):
                continue  # ends this module's shared session / every callback is swept below
            response = request_rule(client, rule, method)
            if rule.rule != "/readyz":  # 503 there says the store is not ready (no fresh source yet)
                assert response.status_code < 500, (rule.rule, method, response.status_code)
            if rule.rule.startswith("/admin"):
                assert (response.status_code in (200, 400)) == (role == "admin"), (rule.rule, role)
    answered = 0
    for key, spec in server_callbacks(app).items():
        response = client.post("/_dash-update-component", json=callback_body(key, spec))
        assert response.status_code in (200, 204, 403), (key, response.status_code)
        text = response.get_data(as_text=True)
        if PEOPLE[role] != "*":  # every sample asks for the other commune: none of its data comes back
            assert SECRET_OTHER not in text, (key, role)
        answered += response.status_code != 403
    ACCESS_SWEEP[f"callbacks_answered_as_{role}"] = answered
    # the same crafted request shows the other commune's tickets to a reader of everything: the marker works
    router = callback_body("page.children", app.callback_map["page.children"])
    body = clients["leader"].post("/_dash-update-component", json=router).get_data(as_text=True)
    assert SECRET_OTHER in body


def test_display_and_api_tokens_open_their_doors_only(world):
    app, engine, _ = world
    token_id, secret = tokens.create(engine, "display", "wall 1", MINE, "test")
    wall = app.server.test_client()
    assert refused(wall.get("/wall?token=wrong"))
    exchanged = wall.get(f"/wall?token={secret}&lang=en")
    assert exchanged.status_code == 302 and exchanged.headers["Location"] == "/wall?lang=en"  # token out of the URL
    assert "Expires=" in exchanged.headers["Set-Cookie"]  # a wall's session outlives a browser restart
    assert wall.get("/wall").status_code == 200
    assert wall.get("/", headers={"Accept": "text/html"}).status_code == 403
    assert wall.get("/admin").status_code == 403
    router = callback_body("page.children", app.callback_map["page.children"])
    assert wall.post("/_dash-update-component", json=router).status_code == 403  # /commune/... is no wall view
    router["inputs"][0]["value"] = "/wall"
    assert wall.post("/_dash-update-component", json=router).status_code == 200
    assert guard._callback_paths([1, 2]) == [] and guard._callback_paths({"inputs": None}) == []  # odd bodies
    tokens.revoke(engine, token_id)
    assert refused(wall.get("/wall", headers={"Accept": "text/html"}))  # revocation: the next request

    api_id, api_secret = tokens.create(engine, "api", "reporting", MINE, "test")
    api = app.server.test_client()
    bearer = {"Authorization": f"Bearer {api_secret}"}
    assert api.get("/api/v1/kpis", headers=bearer).status_code == 403  # past the guard: the city is not its scope
    assert api.get(f"/api/v1/kpis?scope=commune:{MINE}", headers=bearer).status_code == 200
    assert api.get(f"/api/v1/kpis?scope=commune:{OTHER}", headers=bearer).status_code == 403
    assert api.get("/", headers=bearer).status_code == 401  # API tokens open /api/v1 and /metrics only
    assert api.post("/api/v1/kpis", headers=bearer).status_code == 403  # read only
    assert api.get("/api/v1/kpis", headers={"Authorization": "Bearer nope"}).status_code == 401
    tokens.revoke(engine, api_id)
    assert api.get("/api/v1/kpis", headers=bearer).status_code == 401
    assert guard.API_PREFIX == "/api/v1/"


def test_every_rule_with_a_display_or_api_token_opens_only_their_doors(world):
    app, engine, _ = world
    _, wall_secret = tokens.create(engine, "display", "sweep wall", MINE, "test")
    _, api_secret = tokens.create(engine, "api", "sweep api", MINE, "test")
    wall, api = app.server.test_client(), app.server.test_client()
    assert wall.get(f"/wall?token={wall_secret}").status_code == 302
    bearer = {"Authorization": f"Bearer {api_secret}", "Accept": "application/json"}
    checked = 0
    for rule in rules(app):
        if rule.rule in PUBLIC_RULES or rule.rule in ("/_dash-update-component", "/logout"):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            checked += 1
            framework = rule.rule.startswith(guard.DASH_ENDPOINTS) and method == "GET"
            response = request_rule(wall, rule, method)
            assert framework or response.status_code == 403, (rule.rule, method, response.status_code)
            url = rule_url(rule)
            response = api.get(url, headers=bearer) if method == "GET" else api.post(url, headers=bearer)
            if rule.rule.startswith(guard.API_PREFIX):  # its doors: read only, in its scope
                expected = {403} if method == "POST" else {200, 400, 403, 404}
                assert response.status_code in expected, (rule.rule, method, response.status_code)
                assert SECRET_OTHER not in response.get_data(as_text=True)
            elif rule.rule == guard.METRICS_PATH and method == "GET":  # Prometheus scrapes with an API token
                assert response.status_code == 200
            else:
                assert response.status_code == 401, (rule.rule, method, response.status_code)
    ACCESS_SWEEP["routes_checked_with_tokens"] = checked
    assert checked > 5


def test_display_token_expiry(world):
    from datetime import timedelta

    from metrics.time import now

    app, engine, _ = world
    _, secret = tokens.create(engine, "display", "old wall", MINE, "test", expires_at=now() - timedelta(minutes=1))
    assert app.server.test_client().get(f"/wall?token={secret}").status_code == 403
