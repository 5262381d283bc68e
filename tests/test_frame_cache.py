"""The KPI frame cache: exact round trip through bytes, one frame computed for two app processes through
Redis, the embedded mode with no Redis, and pages still served when Redis is down."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import numpy as np
import pandas as pd
import pytest
import redis

from config import ROOT
from ingest import pipeline
from metrics import frame
from metrics.frame_cache import LocalFrameCache, SharedFrameCache, decode, encode
from store.db import engine_for
from tests.conftest import IN_CI, at
from tests.records import dossier, given, ticket

REDIS_URL = os.environ.get("IOC_TEST_REDIS", "redis://127.0.0.1:6379/0")

# One app process: the overview page as the browser asks for it, and how many frames it computed.
APP_PROCESS = """
import hashlib, json, uuid
from metrics import frame
computed = []
original = frame.compute
def counting(*args, **kwargs):
    computed.append(args[1:3])
    return original(*args, **kwargs)
frame.compute = counting
from app import app
body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
        "state": [{"id": "url", "property": "search", "value": "?period=since_merger"}],
        "changedPropIds": ["url.pathname"]}
from store.db import engine_for
from tests.conftest import signed_in_client
engine = engine_for(app.server.config["IOC_SETTINGS"].database_url)
client = signed_in_client(app, engine, "reader-" + uuid.uuid4().hex[:8], "leader")
response = client.post("/_dash-update-component", json=body)
assert response.status_code == 200, response.data[:300]
print(json.dumps({"computed": len(computed), "cache": type(frame._cache()).__name__,
                  "page": hashlib.sha256(response.data).hexdigest()}))
"""


@pytest.fixture
def store(sqlite_url):
    rows = [dossier("D1", completed="2025-07-02 10:00", status="completed"),
            dossier("D2", unit="26526", completed="2025-07-08 10:00", status="completed"), dossier("D3")]
    pipeline.pull(engine_for(sqlite_url), given([("dossier", rows), ("ticket", [ticket("T1")])]),
                  until=at("2025-07-10 00:00"))
    return sqlite_url


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is required in CI and unreachable: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


def _app_process(database_url: str, redis_url: str | None) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    out = subprocess.run([sys.executable, "-c", APP_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_frames_cross_bytes_exactly(store):
    measures, kpis = frame.compute(engine_for(store), at("2025-07-01 00:00").date(), at("2025-07-31 00:00").date())
    assert kpis.isna().any().any() and (kpis.notna()).any().any()  # both values and "no data" travel
    again = decode(encode((measures, kpis)))
    for before, after in zip((measures, kpis), again):
        pd.testing.assert_frame_equal(before, after, check_exact=True)
        assert (after.dtypes == np.float64).all() and after.index.name == "unit_code"
    with pytest.raises(TypeError):
        encode((pd.DataFrame({"a": ["text"]}),))
    with pytest.raises(ValueError):
        decode(b"\x80\x04pickle")


def test_two_app_processes_share_one_frame_through_redis(store, redis_url):
    first = _app_process(store, redis_url)
    second = _app_process(store, redis_url)
    assert first["cache"] == second["cache"] == "SharedFrameCache"
    assert first["computed"] >= 1 and second["computed"] == 0  # the second process read the first's frames
    assert first["page"] == second["page"]


def test_embedded_mode_needs_no_redis(store, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(frame._cache(), LocalFrameCache)
    result = _app_process(store, None)
    assert result["cache"] == "LocalFrameCache" and result["computed"] >= 1


def test_a_frame_computed_once_per_data_version(store, redis_url, monkeypatch):
    engine = engine_for(store)
    monkeypatch.setenv("REDIS_URL", redis_url)
    computed = []
    original = frame.compute
    monkeypatch.setattr(frame, "compute", lambda *a, **k: computed.append(1) or original(*a, **k))
    day = at("2025-07-01 00:00").date()
    first = frame.kpi_frame(engine, day, day.replace(day=31))
    frame.clear_cache()  # this process forgets; Redis still has it
    again = frame.kpi_frame(engine, day, day.replace(day=31))
    assert len(computed) == 1
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    pipeline.pull(engine, given([("dossier", [dossier("D9", status="received")])], name="second"),
                  until=at("2025-07-10 00:00"))  # a new batch: a new data version, a new frame
    newer = frame.kpi_frame(engine, day, day.replace(day=31))
    assert len(computed) == 2 and newer.loc["city", "dossiers_received"] == first.loc["city", "dossiers_received"] + 1


def test_pages_are_served_when_redis_is_down(store):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    cache = SharedFrameCache(down)
    key = f"frame:test:{uuid.uuid4().hex}"
    assert cache.get(key) is None
    frames = (pd.DataFrame({"x": [1.0]}),)
    cache.set(key, frames)  # kept locally all the same
    assert cache.get(key) is frames
    result = _app_process(store, down)
    assert result["cache"] == "SharedFrameCache" and result["computed"] >= 1


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_new_data_warms_the_periods_read_lately(store, redis_url, monkeypatch, shared):
    """metrics.frame.warm (run by metrics/warm.py in each web worker): after a new batch the periods read in
    the last hour are computed before anyone asks; with Redis, by one worker only."""
    engine = engine_for(store)
    if shared:
        monkeypatch.setenv("REDIS_URL", redis_url)
        redis.Redis.from_url(redis_url).flushdb()
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    frame.clear_cache()
    july, august = (at("2025-07-01 00:00").date(), at("2025-07-31 00:00").date()), \
        (at("2025-08-01 00:00").date(), at("2025-08-31 00:00").date())
    frame.kpi_frame(engine, *july)
    assert frame.warm(engine) == 0  # nothing new: every recent period is cached already
    pipeline.pull(engine, given([("dossier", [dossier("D9", status="received")])], name="second"),
                  until=at("2025-07-10 00:00"))
    assert frame.warm(engine) == 1  # July, at the new version (August was never read)
    assert frame.warm(engine) == 0  # this version is done (with Redis: claimed by the first worker)
    monkeypatch.setattr(frame, "compute", lambda *a, **k: pytest.fail("computed on request after warming"))
    assert frame.kpi_frame(engine, *july).loc["city", "dossiers_received"] == 4
    with pytest.raises(pytest.fail.Exception):
        frame.kpi_frame(engine, *august)


def test_the_warmer_thread_follows_the_data_version(store, monkeypatch):
    from metrics import warm

    monkeypatch.delenv("REDIS_URL", raising=False)
    engine = engine_for(store)
    frame.clear_cache()
    day = at("2025-07-01 00:00").date()
    frame.kpi_frame(engine, day, day.replace(day=31))
    warmed = []
    original = frame.warm
    monkeypatch.setattr(frame, "warm", lambda e: warmed.append(frame.data_version(e)) or original(e))
    stop = warm.start(store, every=0.05)
    try:
        deadline = time.monotonic() + 10
        while not warmed and time.monotonic() < deadline:
            time.sleep(0.05)
        pipeline.pull(engine, given([("dossier", [dossier("D9", status="received")])], name="second"),
                      until=at("2025-07-10 00:00"))
        new = frame.data_version(engine)
        while new not in warmed and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert warmed[0] != new and warmed[-1] == new  # once at start, once for the new batch
