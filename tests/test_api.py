"""The read-only JSON API over HTTP (Flask test client): the KPI frame, the snapshots and their files,
clear JSON errors for bad input."""
from __future__ import annotations

import pytest

from app import create_app
from metrics.frame import kpi_frame_json
from snapshots import store
from snapshots.scope import parse_scope
from store.db import engine_for
from tests.conftest import signed_in_client, test_settings
from tests.snapshot_store import COMMUNE, PERIOD, seeded_file, seeded_url  # noqa: F401


@pytest.fixture
def client(seeded_url):  # noqa: F811
    return signed_in_client(create_app(test_settings(seeded_url)), engine_for(seeded_url), "leader", "leader")


def test_kpis_are_the_kpi_frame(client, seeded_url):  # noqa: F811
    response = client.get(f"/api/v1/kpis?scope=commune:{COMMUNE}&from=2025-09-01&to=2025-09-07")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    expected = kpi_frame_json(engine_for(seeded_url), COMMUNE, *PERIOD)
    assert body["kpis"] == expected["kpis"] and body["data_version"] == expected["data_version"]
    assert body["scope"] == f"commune:{COMMUNE}" and body["from"] == "2025-09-01"
    city = client.get("/api/v1/kpis?scope=city&from=2025-09-01&to=2025-09-07").get_json()
    assert city["kpis"]["dossiers_received"]["value"] > body["kpis"]["dossiers_received"]["value"] > 0


@pytest.mark.parametrize("query", ["scope=commune:99999", "scope=../../etc/passwd", "scope=commune:1%27%20OR%201=1",
                                   "scope=district:1", "from=2025-09-07&to=2025-09-01", "from=yesterday&to=2025-09-01",
                                   "from=2025-13-01&to=2025-09-01"])
def test_bad_kpi_queries_are_400_with_a_json_reason(client, query):
    response = client.get(f"/api/v1/kpis?{query}")
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"]


def test_snapshots_listed_and_downloaded_as_stored(client, seeded_url):  # noqa: F811
    engine = engine_for(seeded_url)
    info = store.create(engine, parse_scope(engine, f"commune:{COMMUNE}"), *PERIOD)
    listed = client.get("/api/v1/snapshots").get_json()["snapshots"]
    assert [s["id"] for s in listed] == [info.id]
    assert listed[0]["files"]["xlsx"] == f"/api/v1/snapshots/{info.id}.xlsx" and listed[0]["demo"] is True
    for fmt, media in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats"), ("json", "application/json")):
        response = client.get(f"/api/v1/snapshots/{info.id}.{fmt}")
        assert response.status_code == 200 and response.content_type.startswith(media)
        content, digest = store.file(engine, info.id, fmt)
        assert response.data == content and response.headers["ETag"] == f'"{digest}"'
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="ioc_commune-{COMMUNE}_20250901_20250907_{info.id}.{fmt}"')
    assert client.get(f"/api/v1/snapshots?scope=commune:{COMMUNE}").get_json()["snapshots"][0]["id"] == info.id
    assert client.get("/api/v1/snapshots?scope=commune:25747").get_json()["snapshots"] == []


@pytest.mark.parametrize("path, status", [
    ("/api/v1/snapshots/AAAAAAAAAAAA.csv", 404),
    ("/api/v1/snapshots/..%2F..%2Fetc%2Fpasswd.csv", 404),  # no route: a path
    ("/api/v1/snapshots/..%5C..%5Cetc%5Cpasswd.csv", 400),
    ("/api/v1/nothing", 404),
    ("/api/v1/snapshots/AAAAAAAAAAAA.exe", 400),
    ("/api/v1/snapshots/AAAAAAAAAAAA", 400),
    ("/api/v1/snapshots/AAAAAAAAAAAA.csv.pdf", 400),
    ("/api/v1/snapshots/%27%3B%20DROP%20TABLE%20snapshots.csv", 400),
    ("/api/v1/snapshots?limit=0", 400),
    ("/api/v1/snapshots?scope=commune:../x", 400),
])
def test_bad_snapshot_requests_are_json_errors(client, path, status):
    response = client.get(path)
    assert response.status_code == status and response.is_json and response.get_json()["status"] == status
