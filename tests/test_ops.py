"""/readyz in each state, /metrics content, and the metrics of several gunicorn workers summed."""
from __future__ import annotations

import os
from pathlib import Path
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app import create_app
from config import ROOT, Settings
from ingest import pipeline
from metrics.time import now
from store.db import engine_for
from store.schema import source_states
from tests.conftest import signed_in_client, test_settings
from tests.records import dossier, given

SOURCES = "sources:\n  - name: upstream\n    kind: given_rows\n    every: 5m\n    stale_after: 15m\n"


def _settings(tmp_path, db_url: str) -> Settings:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    return test_settings(db_url, IOC_SOURCES=str(path))


def _pull(engine, bad_rows: int = 0) -> None:
    rows = [dossier("D1", completed="2025-07-02 10:00", status="completed"), dossier("D2")]
    rows += [{**dossier(f"B{i}"), "received_at": None} for i in range(bad_rows)]
    assert pipeline.pull(engine, given([("dossier", rows)])).status == "ok"


def _readyz(settings):
    response = create_app(settings).server.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_readyz_states(db_url, tmp_path):
    settings, engine = _settings(tmp_path, db_url), engine_for(db_url)
    status, body = _readyz(settings)  # never pulled: nothing fresh to show
    assert status == 503 and body["reason"] == "stale sources: upstream"
    assert body["checks"]["database"] == "ok" and body["checks"]["sources"]["upstream"]["stale"]

    _pull(engine)
    status, body = _readyz(settings)
    assert status == 200 and body["status"] == "ready"
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert 0 <= body["checks"]["sources"]["upstream"]["lag_seconds"] < 900

    with engine.begin() as conn:  # the last success 16 minutes ago: past the 15 minutes allowed
        conn.execute(update(source_states).values(last_success_at=now() - timedelta(minutes=16)))
    status, body = _readyz(settings)
    assert status == 503 and body["reason"] == "stale sources: upstream"
    assert body["checks"]["sources"]["upstream"]["lag_seconds"] >= 960


def test_readyz_without_migrations_or_database(tmp_path):
    status, body = _readyz(_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}"))
    assert status == 503 and "newest migration" in body["reason"]
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"]["current"] == []

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status, body = _readyz(_settings(tmp_path, f"postgresql+psycopg://ioc@127.0.0.1:{port}/ioc?connect_timeout=2"))
    assert status == 503 and body["reason"].startswith("database unreachable")
    assert body["checks"] == {"database": "unreachable"}


def _samples(text: str) -> dict:
    """{(name, sorted labels): value} of an exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_by_route_and_callback_and_per_source(db_url, tmp_path):
    settings, engine = _settings(tmp_path, db_url), engine_for(db_url)
    _pull(engine, bad_rows=3)
    app = create_app(settings)
    client = signed_in_client(app, engine, "ops", "admin")
    before = _samples(client.get("/metrics").get_data(as_text=True))
    for _ in range(2):
        body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
                "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
                "state": [{"id": "url", "property": "search", "value": "?period=since_merger"}],
                "changedPropIds": ["url.pathname"]}
        assert client.post("/_dash-update-component", json=body).status_code == 200
    client.post("/_dash-update-component", json={**body, "output": "no-such.thing"})
    assert client.get("/healthz").status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    after = _samples(response.get_data(as_text=True))

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("ioc_dash_callback_duration_seconds_count", callback="page.children") == 2
    assert grew("ioc_dash_callback_duration_seconds_count", callback="unknown") == 1
    assert grew("ioc_http_request_duration_seconds_count", route="/_dash-update-component", method="POST") == 3
    assert grew("ioc_http_request_duration_seconds_count", route="/healthz", method="GET") == 1
    assert grew("ioc_http_requests_total", route="/healthz", method="GET", status="200") == 1
    assert _value(after, "ioc_store_up") == 1
    assert _value(after, "ioc_rows_stored", source="upstream") == 2
    assert _value(after, "ioc_quarantined_rows", source="upstream") == 3
    assert _value(after, "ioc_source_stale", source="upstream") == 0
    assert 0 <= _value(after, "ioc_ingest_lag_seconds", source="upstream") < 900
    assert _value(after, "ioc_data_version") >= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_workers_metrics_are_summed(sqlite_url, tmp_path):
    """Two workers from gunicorn.conf.py (multiprocess mode): a scrape counts the requests of both."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": sqlite_url, "PORT": str(port), "BIND_HOST": "127.0.0.1",
           "WEB_CONCURRENCY": "2", "WEB_THREADS": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    env.pop("REDIS_URL", None)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise AssertionError(web.stderr.read().decode()[-2000:] if web.poll() is not None else "no start")
                time.sleep(0.3)
        for _ in range(20):  # fresh connections: gunicorn hands them to either worker
            assert requests.get(f"{base}/healthz", headers={"Connection": "close"}, timeout=10).status_code == 200
        from access import tokens

        _, secret = tokens.create(engine_for(sqlite_url), "api", "prometheus", "*", "test")
        samples = _samples(requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {secret}"},
                                        timeout=30).text)
        assert _value(samples, "ioc_http_request_duration_seconds_count", route="/healthz", method="GET") == 21
        assert list((tmp_path / "prom").glob("histogram_*.db"))  # the workers wrote their samples there
    finally:
        web.terminate()
        web.wait(timeout=30)


@pytest.fixture(autouse=True)
def _no_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_metrics_when_the_store_is_down(tmp_path):
    port = _free_port()
    settings = _settings(tmp_path, f"postgresql+psycopg://ioc@127.0.0.1:{port}/ioc?connect_timeout=2")
    response = create_app(settings).server.test_client().get("/metrics")
    assert response.status_code == 401  # a scrape needs an identity (an API token) before the store is asked
    from ops.prometheus import exposition

    samples = _samples(exposition(settings, engine_for(settings.database_url)).decode())
    assert _value(samples, "ioc_store_up") == 0
    assert not [k for k in samples if k[0].startswith("ioc_ingest_lag")]


def test_exported_bundles_cover_the_page_and_are_gzipped(tmp_path, sqlite_url):
    """Every script and stylesheet the page names exists in the export (fingerprint stripped, as the proxy
    does), with a gzip copy of the same bytes."""
    import gzip
    import re

    from dash.fingerprint import check_fingerprint

    from ops.bundles import export

    app = create_app(test_settings(sqlite_url))
    written = export(app, tmp_path / "static")
    page = signed_in_client(app, engine_for(sqlite_url)).get("/").get_data(as_text=True)
    urls = [u.split("?")[0] for u in re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', page)]
    assert len(urls) >= 10
    for url in urls:
        plain, _ = check_fingerprint(url)
        assert plain in written, url
        file = tmp_path / "static" / plain.lstrip("/")
        assert gzip.decompress(Path(f"{file}.gz").read_bytes()) == file.read_bytes()
    assert "/_dash-component-suites/plotly/package_data/plotly.min.js" in written
