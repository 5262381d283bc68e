"""In the dashboard: the export control on the overview and a commune's page exports what is on screen
(scope, period, KPI from the URL) as a stored snapshot; the snapshots page lists them with their files."""
from __future__ import annotations

import base64
import io
import json

import pytest
from openpyxl import load_workbook

from app import create_app
from layouts.export import ids
from snapshots import store
from store.db import engine_for
from tests.conftest import signed_in_client, test_settings
from tests.snapshot_store import COMMUNE, PERIOD, seeded_file, seeded_url  # noqa: F401
from tests.test_app import call, route, walk


@pytest.fixture
def client(seeded_url):  # noqa: F811
    return signed_in_client(create_app(test_settings(seeded_url)), engine_for(seeded_url), "leader", "leader")


def export(client, fmt: str, pathname: str, search: str):
    return call(client, [{"id": ids.DOWNLOAD, "property": "data"}, {"id": ids.STATUS, "property": "children"}],
                [{"id": ids.BUTTON, "property": "n_clicks", "value": 1}],
                [{"id": ids.FORMAT, "property": "value", "value": fmt},
                 {"id": "url", "property": "pathname", "value": pathname},
                 {"id": "url", "property": "search", "value": search}])


def test_every_page_carries_the_export_control(client):
    from metrics.breakdown import sector_breakdown, slug

    sector = slug(sector_breakdown(engine_for(client.application.config["IOC_SETTINGS"].database_url),
                                   COMMUNE, *PERIOD).index[0])
    for path in ("/", f"/commune/{COMMUNE}", f"/commune/{COMMUNE}/sector/{sector}", f"/sector/{sector}",
                 "/ranking", "/plan02", "/d766"):
        page = route(client, path, "?period=since_merger")
        found = {c.get("props", {}).get("id") for c in walk(page)}
        assert {ids.FORMAT, ids.BUTTON, ids.DOWNLOAD, ids.RUNNING} <= found


def test_the_button_is_disabled_and_progress_shown_while_exporting(client):
    deps = client.get("/_dash-dependencies").get_json()  # what the browser is told: set while running, then back
    (spec,) = [d for d in deps if f"{ids.DOWNLOAD}.data" in d["output"]]
    assert spec["running"] == {
        "running": {f"{ids.BUTTON}.disabled": True, f"{ids.RUNNING}.style": {"display": "inline"}},
        "runningOff": {f"{ids.BUTTON}.disabled": False, f"{ids.RUNNING}.style": {"display": "none"}}}


def test_a_commune_page_exports_its_commune_and_period_as_a_snapshot(client, seeded_url):  # noqa: F811
    out = export(client, "xlsx", f"/commune/{COMMUNE}", "?period=since_merger")
    download = out[ids.DOWNLOAD]["data"]
    content = base64.b64decode(download["content"])
    (info,) = store.listing(engine_for(seeded_url))
    assert info.scope_key == f"commune:{COMMUNE}" and info.period_start.isoformat() == "2025-07-01"
    assert download["filename"] == f"ioc_commune-{COMMUNE}_20250701_{info.period_end:%Y%m%d}_{info.id}.xlsx"
    assert content == store.file(engine_for(seeded_url), info.id, "xlsx")[0]
    assert load_workbook(io.BytesIO(content))["Chỉ số"]["A1"].value.startswith("Chỉ số · Phường")
    assert info.id in json.dumps(out[ids.STATUS]["children"], ensure_ascii=False)


def test_the_overview_exports_the_city_with_the_kpi_on_the_map(client, seeded_url):  # noqa: F811
    out = export(client, "json", "/", "?period=since_merger&kpi=online_share")
    payload = json.loads(base64.b64decode(out[ids.DOWNLOAD]["data"]["content"]))
    assert payload["scope"]["key"] == "city" and payload["map"]["kpi"] == "online_share"
    assert len(payload["units"]) == 168 + 15


def test_the_snapshots_page_lists_them_with_download_links(client):
    assert "Chưa có ảnh chụp" in json.dumps(route(client, "/snapshots"), ensure_ascii=False)
    export(client, "csv", f"/commune/{COMMUNE}", "?period=7d")
    page = json.dumps(route(client, "/snapshots", "?lang=en"), ensure_ascii=False)
    (info,) = store.listing(engine_for(client.application.config["IOC_SETTINGS"].database_url))
    assert info.id in page and "Vung Tau" in page
    for fmt in ("pdf", "xlsx", "csv", "png", "json"):
        assert f"/api/v1/snapshots/{info.id}.{fmt}" in page
    assert "DEMO DATA" in page


def test_an_export_that_cannot_be_made_says_so(client, monkeypatch):
    out = export(client, "csv", "/commune/99999", "")
    assert out[ids.DOWNLOAD]["data"] is None and "Không xuất được" in out[ids.STATUS]["children"]
    from exports import png

    png.close()  # the browser kept by earlier images: the next image starts one
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # no browser: kaleido refuses, never downloads one
    out = export(client, "png", f"/commune/{COMMUNE}", "?lang=en")
    assert out[ids.DOWNLOAD]["data"] is None and out[ids.STATUS]["children"].startswith("Export failed (PNG, ")
