"""The app over HTTP: health, the router's pages, the Patch a period change sends."""
from __future__ import annotations

import gzip
import json

import pytest

from app import create_app
from geo import web as geo_web
from ingest import pipeline
from tests.conftest import at, signed_in_client, test_settings
from tests.records import dossier, given


@pytest.fixture
def client(engine, db_url):
    rows = [dossier("D1", unit="26506", completed="2025-07-02 10:00", status="completed"),
            dossier("D2", unit="26506", completed="2025-07-08 10:00", status="completed")]
    pipeline.pull(engine, given([("dossier", rows)]), until=at("2025-07-10 00:00"))
    app = create_app(test_settings(db_url))
    return signed_in_client(app, engine)


def call(client, output: dict | list[dict], inputs: list[dict], state: list[dict] = ()):
    """POST a callback request as the browser does; `output` names the callback's output(s)."""
    first = output if isinstance(output, dict) else output[0]
    wanted = [(i["id"], i["property"]) for i in inputs]
    key = next(k for k, spec in client.callbacks.items() if f"{first['id']}.{first['property']}" in k
               and [(i["id"], i["property"]) for i in spec["inputs"]] == wanted)
    body = {"output": key, "outputs": output, "inputs": inputs,
            "state": list(state), "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def walk(node):
    """Every component dict in a serialised layout."""
    if isinstance(node, dict):
        yield node
        for value in node.get("props", {}).values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def route(client, pathname: str, search: str = ""):
    return call(client, {"id": "page", "property": "children"},
                [{"id": "url", "property": "pathname", "value": pathname}],
                [{"id": "url", "property": "search", "value": search}])["page"]["children"]


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_overview_draws_168_communes_and_counts_no_data_as_missing(client):
    page = route(client, "/", "?period=since_merger")
    graph = next(c for c in walk(page) if c.get("props", {}).get("id") == "overview-map")
    mainland, inset = graph["props"]["figure"]["data"][:2]  # then the status shapes on each
    assert len(mainland["locations"]) == 167 and inset["locations"] == ["26732"]  # Côn Đảo in its inset
    # the geometry is a URL both traces share, fetched once by the browser (geo/web.py)
    assert mainland["geojson"] == inset["geojson"] and mainland["geojson"].startswith("/geo/communes-")
    geometry = client.get(mainland["geojson"])
    assert geometry.status_code == 200 and "immutable" in geometry.headers["Cache-Control"]
    codes = [f["properties"]["code"] for f in geometry.get_json()["features"]]
    assert sorted(codes) == sorted(mainland["locations"] + inset["locations"]) and len(codes) == 168
    z = dict(zip(mainland["locations"] + inset["locations"], mainland["z"] + inset["z"]))
    assert z["26506"] == 50.0            # one of two ended on time
    assert z["26526"] is None            # no dossiers: no data, never 0 %
    text = json.dumps(page, ensure_ascii=False)
    assert "DỮ LIỆU MINH HỌA" not in text  # these records came from no demo source


def test_geometry_file_is_public_compressed_and_versioned(db_url):
    anonymous = create_app(test_settings(db_url)).server.test_client()
    path = geo_web.boundaries_path()
    plain = anonymous.get(path)
    assert plain.status_code == 200 and plain.mimetype == "application/geo+json"
    assert len(plain.get_json()["features"]) == 168
    packed = anonymous.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    again = anonymous.get(path, headers={"If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    assert anonymous.get("/geo/communes-0000000000000000.geojson").status_code == 404  # an old digest


def test_commune_page_and_unknown_code(client):
    page = json.dumps(route(client, "/commune/26506", "?period=since_merger"), ensure_ascii=False)
    assert "Phường Vũng Tàu" in page and "Toàn Thành phố" in page
    missing = json.dumps(route(client, "/commune/99999"), ensure_ascii=False)
    assert "Không tìm thấy" in missing and "99999" in missing


def test_english_switch(client):
    page = json.dumps(route(client, "/", "?lang=en"), ensure_ascii=False)
    assert "Overview" in page and "Tổng quan" not in page


MAP_OPTIONS = [{"id": "overview-view", "property": "value", "value": "map"},
               {"id": "overview-zoom", "property": "value", "value": "city"}]
NO_RANGE = [{"id": "overview-period-range", "property": "start_date", "value": None},
            {"id": "overview-period-range", "property": "end_date", "value": None}]
VALUES_OUT = [{"id": "overview-map", "property": "figure"}, {"id": "overview-tile-map", "property": "figure"},
              {"id": "overview-tiles", "property": "children"}, {"id": "overview-legend", "property": "children"},
              {"id": "overview-map-box", "property": "hidden"}, {"id": "overview-tile-box", "property": "hidden"}]


def test_period_change_patches_values_not_geometry(client):
    response = call(client, VALUES_OUT,
                    [{"id": "overview-period", "property": "value", "value": "since_merger"},
                     {"id": "overview-kpi", "property": "value", "value": "on_time_rate"}, *MAP_OPTIONS, *NO_RANGE],
                    [{"id": "url", "property": "search", "value": ""}])
    patch = json.dumps(response["overview-map"]["figure"])
    assert "geojson" not in patch and "coordinates" not in patch
    assert len(patch) < 40_000, len(patch)


def test_a_custom_range_on_the_overview(client, monkeypatch):
    monkeypatch.setattr("callbacks.overview.now", lambda: at("2025-07-20 12:00"))

    def tiles_for(period, first=None, last=None):
        dates = [{"id": "overview-period-range", "property": "start_date", "value": first},
                 {"id": "overview-period-range", "property": "end_date", "value": last}]
        response = call(client, VALUES_OUT,
                        [{"id": "overview-period", "property": "value", "value": period},
                         {"id": "overview-kpi", "property": "value", "value": "on_time_rate"}, *MAP_OPTIONS, *dates],
                        [{"id": "url", "property": "search", "value": ""}])
        return json.dumps(response["overview-tiles"]["children"], ensure_ascii=False)

    # the range holding both completions reads as the preset holding them; one day later, one completion less
    assert tiles_for("custom", "2025-07-01", "2025-07-20") == tiles_for("since_merger")
    assert tiles_for("custom", "2025-07-03", "2025-07-20") != tiles_for("since_merger")
    # a range is used only when the picker says custom
    assert tiles_for("since_merger", "2025-07-03", "2025-07-20") == tiles_for("since_merger")
    # its days go into the URL
    response = call(client, {"id": "url", "property": "search"},
                    [{"id": "overview-period-range", "property": "start_date", "value": "2025-07-03"},
                     {"id": "overview-period-range", "property": "end_date", "value": "2025-07-10T00:00:00"}],
                    [{"id": "overview-period", "property": "value", "value": "custom"},
                     {"id": "url", "property": "search", "value": "?kpi=online_share"}])
    assert response["url"]["search"] == "?period=custom&kpi=online_share&from=2025-07-03&to=2025-07-10"


def test_period_and_kpi_live_in_the_url_and_defaults_stay_out(client):
    def url_for(period, kpi, search=""):
        response = call(client, {"id": "url", "property": "search"},
                        [{"id": "overview-period", "property": "value", "value": period},
                         {"id": "overview-kpi", "property": "value", "value": kpi}, *MAP_OPTIONS],
                        [{"id": "url", "property": "search", "value": search}])
        return response["url"]["search"]

    assert url_for("since_merger", "online_share", "?lang=en") == "?lang=en&period=since_merger&kpi=online_share"
    assert url_for("7d", "on_time_rate") == "?period=7d"
