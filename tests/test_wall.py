"""Wall mode and the map's values over HTTP: the URL, the view registry, the data-version poll and the Patch
a refresh sends (values, never geometry); the status bands the map colours by."""
from __future__ import annotations

import json

import pytest

from app import create_app
from callbacks.wall import DEFAULT_VIEWS, VIEWS, WallQuery
from ingest import pipeline
from metrics.frame import data_version
from metrics.targets import Target, band, commune_target
from store.db import engine_for
from tests.conftest import at, demo_source, signed_in_client, test_settings
from tests.test_app import walk

WALL = "?period=since_merger&views=map,tilemap,tiles,hotline,plan02,d766&rotate=5&refresh=2"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('wall') / 'ioc.db'}"
    upgrade(url)
    result = pipeline.pull(engine_for(url), demo_source(scale=0.02, start="2025-10-20"), until=at("2025-11-05 12:00"))
    assert result.status == "ok" and result.rows_stored > 0
    return url


@pytest.fixture(scope="module")
def client(store):
    return signed_in_client(create_app(test_settings(store)), engine_for(store), "leader", "leader")


def post(client, key_part: str, outputs, inputs: list[dict], state: list[dict] = ()):
    key = next(k for k in client.callbacks if key_part in k)
    body = {"output": key, "outputs": outputs, "inputs": inputs, "state": list(state),
            "changedPropIds": [f"{inputs[0]['id'] if isinstance(inputs[0]['id'], str) else json.dumps(inputs[0]['id'])}"
                               f".{inputs[0]['property']}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.data[:500]
    return response.get_json()["response"] if response.status_code == 200 else None


def route(client, search: str):
    return post(client, "page.children", {"id": "page", "property": "children"},
                [{"id": "url", "property": "pathname", "value": "/wall"}],
                [{"id": "url", "property": "search", "value": search}])["page"]["children"]


def ids_of(page, kind: str) -> list[str]:
    return [c["props"]["id"]["view"] for c in walk(page)
            if isinstance(c.get("props", {}).get("id"), dict) and c["props"]["id"]["type"] == kind]


def test_url_parsing_defaults_unknown_views_and_fast_intervals():
    q = WallQuery.parse("")
    assert q.views == DEFAULT_VIEWS and q.rotate == 60 and q.refresh == 60 and q.reload == "03:00"
    assert q.lang == "vi" and q.map_kpi == "full_online_share"  # the first map KPI with a commune target
    q = WallQuery.parse("?views=plan02,nosuch,map,plan02&rotate=1&refresh=0&reload=25:00&lang=en&kpi=tickets_open")
    assert q.views == ("plan02", "map") and q.unknown == ("nosuch",)
    assert q.rotate == 1 and q.refresh == 1 and q.reload == "03:00" and q.lang == "en" and q.map_kpi == "tickets_open"
    assert WallQuery.parse("?reload=45").reload == "45" and WallQuery.parse("?reload=02:30").reload == "02:30"
    assert WallQuery.parse("?rotate=0").rotate == 0  # all views at once
    config = WallQuery.parse("?views=d766").config()
    assert config["views"] == ["d766"] and config["timezone"] == "Asia/Ho_Chi_Minh" and config["utc_offset_minutes"] == 420


def test_registry_has_the_views_the_issue_names():
    assert set(DEFAULT_VIEWS) <= set(VIEWS)
    assert {n for n, v in VIEWS.items() if v.graph} == {"map", "tilemap"}
    assert all(v.patch for v in VIEWS.values() if v.graph)


def test_wall_has_no_navigation_chrome_and_one_panel_per_view(client):
    page = route(client, WALL)
    text = json.dumps(page, ensure_ascii=False)
    assert "app-header" not in text and "nav-sources" not in text  # no header, no links
    assert "DỮ LIỆU MINH HỌA" in text  # demo data says so on the wall too
    assert ids_of(page, "wall-panel") == ["map", "tilemap", "tiles", "hotline", "plan02", "d766"]
    assert ids_of(page, "wall-fresh") == ids_of(page, "wall-panel")  # a freshness badge on every panel
    assert ids_of(page, "wall-graph") == ["map", "tilemap"] and ids_of(page, "wall-body") == ["tiles", "hotline",
                                                                                             "plan02", "d766"]
    config = next(c for c in walk(page) if c.get("props", {}).get("id") == "wall-config")["props"]["data"]
    assert config["rotate"] == 5 and config["refresh"] == 2
    poll = next(c for c in walk(page) if c.get("props", {}).get("id") == "wall-poll")["props"]
    assert poll["interval"] == 2000
    assert "P02-5" in text and "Xuất sắc" in text or "Yếu" in text or "Khá" in text  # Plan 02 and 766 tables


def test_unknown_view_is_named_on_the_wall(client):
    text = json.dumps(route(client, "?views=map,nosuch"), ensure_ascii=False)
    assert "nosuch" in text and "Không có màn hình" in text


def _poll(client, version, search=WALL):
    return post(client, "wall-version-latest.data", [{"id": "wall-version-latest", "property": "data"},
                                              [{"id": {"type": "wall-fresh", "view": v}, "property": "children"}
                                               for v in ("map", "tiles")],
                                              {"id": "wall-as-of", "property": "children"}],
                [{"id": "wall-poll", "property": "n_intervals", "value": 3}],
                [{"id": "wall-version", "property": "data", "value": version},
                 {"id": "url", "property": "search", "value": search}])


def test_poll_answers_a_new_version_only_when_the_data_changed(client, store):
    current = data_version(engine_for(store))
    unchanged = _poll(client, current)
    assert "wall-version-latest" not in unchanged  # no_update: nothing redraws
    badges = [k for k in unchanged if "wall-fresh" in k]
    assert len(badges) == 2 and "Dữ liệu đến" in json.dumps(unchanged, ensure_ascii=False)
    changed = _poll(client, current - 1)
    assert changed["wall-version-latest"]["data"] == current


def test_refresh_patches_map_values_never_geometry(client, store):
    outputs = [{"id": {"type": "wall-graph", "view": v}, "property": "figure"} for v in ("map", "tilemap")]
    response = post(client, '"type":"wall-graph"', outputs,
                    [{"id": "wall-version", "property": "data", "value": 10**6}],
                    [{"id": "url", "property": "search", "value": WALL}])
    patches = [v["figure"] for k, v in response.items() if "wall-graph" in k]
    text = json.dumps(patches)
    assert len(patches) == 2
    assert "geojson" not in text and "coordinates" not in text and "locations" not in text
    ops = [op for p in patches for op in p["operations"]]
    locations = {tuple(op["location"]) for op in ops}
    assert ("data", 0, "z") in locations and ("data", 0, "customdata") in locations  # values and hover cards
    assert ("data", 2, "marker", "symbol") in locations  # the status shapes


def test_refresh_redraws_the_html_panels(client):
    outputs = [[{"id": {"type": "wall-body", "view": v}, "property": "children"} for v in ("tiles", "plan02")],
               {"id": "wall-version-drawn", "property": "data"}]
    response = post(client, '"type":"wall-body"', outputs,
                    [{"id": "wall-version", "property": "data", "value": 10**6}],
                    [{"id": "url", "property": "search", "value": WALL}])
    assert response["wall-version-drawn"]["data"] == 10**6
    bodies = json.dumps(response, ensure_ascii=False)
    assert "Hồ sơ tiếp nhận" in bodies and "P02-5" in bodies


def test_a_superseded_version_is_not_drawn(client, store):
    """A redraw for a version older than the store's (a late response) sends nothing: the newer one follows."""
    outputs = [[{"id": {"type": "wall-body", "view": "tiles"}, "property": "children"}],
               {"id": "wall-version-drawn", "property": "data"}]
    older = data_version(engine_for(store)) - 1
    assert post(client, '"type":"wall-body"', outputs, [{"id": "wall-version", "property": "data", "value": older}],
                [{"id": "url", "property": "search", "value": WALL}]) is None  # 204: no update


def test_status_bands():
    target = Target(id="T", title_vi="", title_en="", kpi="full_online_share", comparison=">=", threshold=80,
                    window="month", deadline=at("2025-12-31 00:00").date(), scope="commune", source="", confidence="official")
    assert [band(target, v) for v in (80, 95, 76, 75.9, None, float("nan"))] == \
        ["green", "green", "amber", "red", "no data", "no data"]
    lower = Target(**{**target.__dict__, "comparison": "<=", "threshold": 2})
    assert [band(lower, v) for v in (1, 2, 2.05, 2.2)] == ["green", "green", "amber", "red"]  # 5 % of 2 = 0.1
    assert commune_target("full_online_share").threshold == 80 and commune_target("dossiers_received") is None


def test_wall_in_english(client):
    text = json.dumps(route(client, "?lang=en&period=since_merger&views=plan02,hotline"), ensure_ascii=False)
    assert "Plan 02 targets" in text and "Hotline 1022" in text and "DEMO DATA" in text
    assert "Kế hoạch 02" not in text and "Dữ liệu đến" not in text
