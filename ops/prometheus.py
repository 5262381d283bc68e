"""`/metrics` in the Prometheus text format.

Per request (recorded in the worker that served it): latency by route, and for Dash callbacks
(`/_dash-update-component`) latency by callback, named by its output as Dash names it ("page.children",
"..tiles.children...map.figure.."); an output the app does not define is counted as "unknown", so a client
cannot grow the label set. Per scrape (read from the store): ingest lag, staleness, rows stored and
quarantined per source, and the data version.

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py does it), every worker writes
its samples to files there and a scrape of any worker sums them all; gunicorn.conf.py clears the folder at
start and marks exited workers dead.
"""
from __future__ import annotations

import logging
import os
import time

from flask import Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine

from ingest.sources import load_sources
from store.status import source_status
from store.writes import current_data_version

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram("ioc_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                            ("route", "method"), buckets=BUCKETS)
REQUESTS = Counter("ioc_http_requests", "HTTP requests answered, by route and status.", ("route", "method", "status"))
CALLBACK_SECONDS = Histogram("ioc_dash_callback_duration_seconds", "Time to answer a Dash callback, by output.",
                             ("callback",), buckets=BUCKETS)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class StoreCollector:
    """Gauges read from the store at scrape time (never stale, nothing kept in the workers)."""

    def __init__(self, settings, engine: Engine):
        self.settings, self.engine = settings, engine

    def collect(self):
        up = GaugeMetricFamily("ioc_store_up", "1 when the store answered this scrape.")
        try:
            rows = source_status(self.engine, load_sources(self.settings.sources_file))
            with self.engine.connect() as conn:
                version, _ = current_data_version(conn)
        except Exception:  # noqa: BLE001 — the scrape still answers, saying the store did not
            log.exception("metrics: the store did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        families = {
            "lag": GaugeMetricFamily("ioc_ingest_lag_seconds", "Seconds since the source's last successful pull.",
                                     labels=["source"]),
            "stale": GaugeMetricFamily("ioc_source_stale", "1 when the source has no successful pull within its "
                                       "threshold.", labels=["source"]),
            "stored": GaugeMetricFamily("ioc_rows_stored", "Records the store holds from the source.",
                                        labels=["source"]),
            "quarantined": GaugeMetricFamily("ioc_quarantined_rows", "Rows of the source held in quarantine.",
                                             labels=["source"]),
        }
        for r in rows:
            if r["lag_seconds"] is not None:
                families["lag"].add_metric([r["name"]], r["lag_seconds"])
            families["stale"].add_metric([r["name"]], 1 if r["stale"] else 0)
            families["stored"].add_metric([r["name"]], r["rows_stored"])
            families["quarantined"].add_metric([r["name"]], r["rows_quarantined"])
        yield from families.values()
        data = GaugeMetricFamily("ioc_data_version", "The store's data version (bumped by every committed batch).")
        data.add_metric([], version)
        yield data


def exposition(settings, engine: Engine) -> bytes:
    """The request metrics (of every worker in multiprocess mode) followed by the store's gauges."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    store_registry = CollectorRegistry()
    store_registry.register(StoreCollector(settings, engine))
    return generate_latest(requests_registry) + generate_latest(store_registry)


def register(app, settings, engine: Engine) -> None:
    server = app.server

    @server.before_request
    def _start_timer():
        g.ioc_started = time.perf_counter()

    @server.after_request
    def _observe(response):
        started = g.pop("ioc_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method).observe(seconds)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        if request.path.endswith(CALLBACK_PATH) and request.method == "POST":
            body = request.get_json(silent=True) or {}
            output = body.get("output") if isinstance(body, dict) else None
            CALLBACK_SECONDS.labels(output if output in app.callback_map else "unknown").observe(seconds)
        return response

    @server.get("/metrics")
    def metrics():
        return Response(exposition(settings, engine), mimetype=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})
