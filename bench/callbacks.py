"""What the map and the wall cost per callback: bytes on the wire and server time, over real HTTP.

    python bench/callbacks.py [--db sqlite:///var/ioc.db] [--runs 30]

The app is served on 127.0.0.1 (werkzeug, threaded) over a store of demo data — the one given by --db, or a
fresh one seeded from the demo feed (--scale, --days). Each callback is POSTed to /_dash-update-component as
the browser sends it. Reported: the response bytes of a KPI switch on the map (goal < 20 KB) and, per
callback, the median and p95 time from request to full response (goal p95 < 100 ms), both with the KPI frames
cached (a wall or a user between two data versions: the usual case), cold (the first request after a new
data version, frame and wall caches cleared before each request) and warmed (the same, after the web
worker's warmer prepared what was read lately: frames and city-wide wall panels, metrics/warm.py).
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL_BYTES, GOAL_P95_MS = 20_000, 100.0


def seed(days: int, scale: float) -> str:
    from ingest import pipeline
    from ingest.sources import SourceConfig
    from metrics.time import local_day, now
    from store.db import engine_for
    from store.migrate import upgrade

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-callbacks-')) / 'ioc.db'}"
    upgrade(url)
    start = local_day(now()) - timedelta(days=days)
    source = SourceConfig(name="demo", kind="demo", every=timedelta(minutes=1), stale_after=timedelta(minutes=3),
                          options={"scale": scale, "start": start.isoformat()})
    t0 = time.perf_counter()
    result = pipeline.pull(engine_for(url), source, until=now())
    print(f"seeded {result.rows_stored:,} records ({days} days, scale {scale}) in {time.perf_counter() - t0:.0f} s")
    return url


class Client:
    def __init__(self, base: str, callback_map: dict, session):
        self.base, self.callbacks, self.session = base, callback_map, session  # a signed-in requests.Session

    def key(self, output_part: str, inputs: list[dict]) -> str:
        wanted = [(json.dumps(i["id"], sort_keys=True) if isinstance(i["id"], dict) else i["id"], i["property"])
                  for i in inputs]
        for k, spec in self.callbacks.items():
            have = [(i["id"], i["property"]) for i in spec["inputs"]]
            if output_part in k and [h[1] for h in have] == [w[1] for w in wanted]:
                return k
        raise KeyError(output_part)

    def post(self, output_part: str, outputs, inputs: list[dict], state: list[dict] = (),
             changed: int = 0) -> tuple[bytes, float]:
        """(response body, seconds) of one callback request; `changed` = the index of the input that changed."""
        first = inputs[changed]
        changed = (json.dumps(first["id"], separators=(",", ":"), sort_keys=True)
                   if isinstance(first["id"], dict) else first["id"]) + "." + first["property"]
        body = json.dumps({"output": self.key(output_part, inputs), "outputs": outputs, "inputs": inputs,
                           "state": list(state), "changedPropIds": [changed]}).encode()
        t0 = time.perf_counter()
        response = self.session.post(self.base + "/_dash-update-component", data=body,
                                     headers={"Content-Type": "application/json", "Accept-Encoding": "identity"})
        payload = response.content
        took = time.perf_counter() - t0
        response.raise_for_status()
        return payload, took


def v(component, prop, value):
    return {"id": component, "property": prop, "value": value}


OVERVIEW_OUT = [{"id": i, "property": p} for i, p in (
    ("overview-map", "figure"), ("overview-tile-map", "figure"), ("overview-tiles", "children"),
    ("overview-legend", "children"), ("overview-map-box", "hidden"), ("overview-tile-box", "hidden"))]


def cases(client: Client, engine, kpis: list[str]):
    """name → a function making one request (it cycles through KPIs where that is the change)."""
    from metrics.frame import data_version

    wall = "?views=map,tilemap,tiles,hotline,plan02,d766"
    body_views = ("tiles", "hotline", "plan02", "d766")
    all_views = ("map", "tilemap", *body_views)
    state = [v("url", "search", "")]
    no_range = [v("overview-period-range", "start_date", None), v("overview-period-range", "end_date", None)]
    turn = {"i": 0}

    def overview(kpi, view="map", zoom="city", period="30d", changed=1):
        return client.post("overview-map.figure", OVERVIEW_OUT,
                           [v("overview-period", "value", period), v("overview-kpi", "value", kpi),
                            v("overview-view", "value", view), v("overview-zoom", "value", zoom), *no_range],
                           state, changed)

    def next_kpi():
        turn["i"] += 1
        return kpis[turn["i"] % len(kpis)]

    def page(path, search=""):
        return client.post("page.children", {"id": "page", "property": "children"}, [v("url", "pathname", path)],
                           [v("url", "search", search)])

    return {
        "map: KPI switch": lambda: overview(next_kpi()),
        "tile map: KPI switch": lambda: overview(next_kpi(), view="tiles"),
        "map: zoom preset": lambda: overview(kpis[0], zoom="core", changed=3),
        "page: overview": lambda: page("/"),
        "page: commune": lambda: page("/commune/26740"),
        "page: wall, 6 views": lambda: page("/wall", wall),
        "wall: version poll": lambda: client.post(
            "wall-version-latest.data",
            [{"id": "wall-version-latest", "property": "data"},
             [{"id": {"type": "wall-fresh", "view": n}, "property": "children"} for n in all_views],
             {"id": "wall-as-of", "property": "children"}],
            [v("wall-poll", "n_intervals", 1)], [v("wall-version", "data", data_version(engine)),
                                                 v("url", "search", wall)]),
        # a redraw for an older version than the store's is skipped: ask for the current one
        "wall: redraw HTML panels": lambda: client.post(
            '"type":"wall-body"', [[{"id": {"type": "wall-body", "view": n}, "property": "children"} for n in body_views],
                                   {"id": "wall-version-drawn", "property": "data"}],
            [v("wall-version", "data", data_version(engine))], [v("url", "search", wall)]),
        "wall: patch both maps": lambda: client.post(
            '"type":"wall-graph"', [{"id": {"type": "wall-graph", "view": n}, "property": "figure"}
                                    for n in ("map", "tilemap")],
            [v("wall-version", "data", data_version(engine))], [v("url", "search", wall)]),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store with demo data (default: seed a fresh one)")
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from app import create_app
    from callbacks import wall as wall_views
    from config import Settings
    from layouts.overview import MAP_KPIS
    from metrics import frame, warm
    from store.db import engine_for
    from sqlalchemy import func, select
    from store.schema import dossiers
    from tools.browser import serve
    from tools.signin import bench_person, signed_in

    url = args.db or seed(args.days, args.scale)
    engine = engine_for(url)
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(dossiers)).scalar()
    app = create_app(Settings.from_env({"DATABASE_URL": url}))
    gc.freeze()  # as gunicorn.conf.py does once the app is loaded (when_ready)
    load = os.getloadavg()[0]
    print(f"store: {url} ({held:,} dossiers); {os.cpu_count()} cores, 1-minute load {load:.2f}; {args.runs} runs each")
    with serve(app.server) as base:
        client = Client(base, app.callback_map, signed_in(base, "bench", bench_person(engine)))
        requests = cases(client, engine, list(MAP_KPIS))
        for name, make in requests.items():  # warm up: imports, geometry, first frames
            make()
        print("\nbytes a KPI switch sends (response body; the geometry is never in it)")
        for kpi in MAP_KPIS:
            payload, _ = client.post("overview-map.figure", OVERVIEW_OUT,
                                     [v("overview-period", "value", "30d"), v("overview-kpi", "value", kpi),
                                      v("overview-view", "value", "map"), v("overview-zoom", "value", "city"),
                                      v("overview-period-range", "start_date", None),
                                      v("overview-period-range", "end_date", None)],
                                     [v("url", "search", "")], changed=1)
            assert b"geojson" not in payload and b"coordinates" not in payload
            ok = "ok" if len(payload) < GOAL_BYTES else "OVER the goal"
            print(f"  {kpi:<24} {len(payload):>7,} B  (gzip {len(gzip.compress(payload)):>6,} B)  {ok}")
        print(f"\nserver time per callback over HTTP, ms (goal p95 < {GOAL_P95_MS:.0f} ms)")
        print(f"  {'callback':<32} {'bytes':>9}  {'cached: median':>14} {'p95':>7}   {'cold: median':>12} {'p95':>7}"
              f"   {'warmed: median':>14} {'p95':>7}")
        for name, make in requests.items():
            cached, cold, size = [], [], 0
            for _ in range(args.runs):
                payload, seconds = make()
                cached.append(seconds * 1000)
                size = len(payload)
            warmed = []
            for _ in range(args.runs):
                frame.clear_cache()  # as after a new data version: frames and wall views rebuilt
                wall_views._built.cache_clear()
                cold.append(make()[1] * 1000)
                frame.clear_cache()  # the same, with the web worker's warmer run first (metrics/warm.py)
                wall_views._built.cache_clear()
                warm.warm_all(engine)
                warmed.append(make()[1] * 1000)
            p95 = percentile(cached, 0.95)
            print(f"  {name:<32} {size:>9,}  {statistics.median(cached):>14.1f} {p95:>7.1f}"
                  f"   {statistics.median(cold):>12.1f} {percentile(cold, 0.95):>7.1f}"
                  f"   {statistics.median(warmed):>14.1f} {percentile(warmed, 0.95):>7.1f}"
                  f"  {'ok' if p95 < GOAL_P95_MS else 'OVER the goal (cached)'}")
    print(f"\n1-minute load at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
