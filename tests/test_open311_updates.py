"""Open311's `servicerequestupdates` extension: an incremental pull sees status changes of requests
received long before the watermark, which re-reading a lookback window misses; a server without the
extension (404) is read with the lookback instead."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest import pipeline
from ingest.connectors.open311 import UPDATES_OVERLAP
from ingest.demo.server import DemoFeed, serving
from ingest.sources import SourceConfig
from store.schema import tickets
from tests.conftest import at
from tests.fault_server import FaultServer, service_request

FIRST = at("2025-08-01 00:00")
LATER = FIRST + timedelta(days=20)
COLUMNS = ("ticket_id", "status", "closed_at", "reopened", "rating", "updated_at")


def hotline(name: str, url: str, **options) -> SourceConfig:
    return SourceConfig(name, "open311", timedelta(minutes=5), timedelta(minutes=15),
                        {"url": url, "start": "2025-07-01", "retries": 1, "backoff": 0.01, **options})


@pytest.fixture
def demo_server():
    with serving(DemoFeed(scale=0.05, as_of=FIRST), "/open311/v2") as server:
        yield server


def held(engine, source: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(*[tickets.c[c] for c in COLUMNS]).where(tickets.c.source == source)).all()
    return {r.ticket_id: tuple(r) for r in rows}


def truth(feed: DemoFeed) -> dict[str, tuple]:
    every = feed.tickets(at("2025-07-01 00:00"), feed.clock())
    return {t["ticket_id"]: tuple(t[c] for c in COLUMNS) for t in every}


def test_updates_reach_requests_received_before_the_lookback(engine, demo_server):
    with_updates = hotline("hotline", demo_server.url, lookback="1d")
    lookback_only = hotline("hotline-lookback", demo_server.url, lookback="1d", updates="false")
    for source in (with_updates, lookback_only):
        assert pipeline.pull(engine, source, until=FIRST).status == "ok"
    assert held(engine, "hotline") == held(engine, "hotline-lookback") == truth(demo_server.feed)

    demo_server.feed.fixed_clock = LATER
    results = [pipeline.pull(engine, source, until=LATER) for source in (with_updates, lookback_only)]
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    now_true = truth(demo_server.feed)
    assert held(engine, "hotline") == now_true
    # The lookback alone misses changes to requests received before it (the demo city has such changes).
    received = {t["ticket_id"]: t["received_at"] for t in demo_server.feed.tickets(at("2025-07-01 00:00"), LATER)}
    missed = {i for i, row in held(engine, "hotline-lookback").items() if row != now_true[i]}
    assert missed and all(received[i] < FIRST - timedelta(days=1) for i in missed)
    # The update-driven pull read each request changed since the watermark once, and nothing else.
    assert results[0].rows_read == sum(row[-1] > FIRST - UPDATES_OVERLAP for row in now_true.values())


def test_a_server_without_updates_is_read_with_the_lookback_and_updates_true_says_so(engine):
    served = [service_request(i, requested=f"2025-07-02T09:{i:02d}:00+07:00") for i in range(1, 11)]
    with FaultServer(open311=served) as server:
        auto = hotline("auto", server.url + "/open311/v2")
        required = hotline("required", server.url + "/open311/v2", updates="true")
        until = at("2025-07-03 00:00")
        assert pipeline.pull(engine, auto, until=until).status == "ok"
        served[0].update(status="closed", updated_datetime="2025-07-04T10:00:00+07:00",
                         closed_datetime="2025-07-04T10:00:00+07:00")
        result = pipeline.pull(engine, auto, until=at("2025-07-05 00:00"))
        assert (result.status, result.rows_stored) == ("ok", 1)
        assert any("servicerequestupdates" in r for r in server.requests)
        assert held(engine, "auto")["1"][1] == "closed"
        assert pipeline.pull(engine, required, until=until).status == "ok"  # a first pull lists requests only
        failed = pipeline.pull(engine, required, until=at("2025-07-05 00:00"))
    assert failed.status == "failed" and "offers no servicerequestupdates" in failed.error
