"""Load test on 127.0.0.1: people exploring the dashboard and wall screens refreshing, bounded in time.

    python bench/load.py --db sqlite   [--days 30] [--users 50] [--walls 20] [--seconds 60] [--workers N]
    python bench/load.py --db postgres [--reuse] ...      # PostgreSQL 127.0.0.1:5432 + Redis 127.0.0.1:6379
    python bench/load.py --db postgres --store postgresql+psycopg://…/ioc_bench   # an existing store, no seeding
    python bench/load.py --url http://host:port ...       # against a server you started (no seeding, no process table)

It seeds a store with the last --days of demo data (`cli.py demo seed`; --reuse keeps one from a previous run),
starts gunicorn from gunicorn.conf.py on it, then runs --users explorers and --walls wall screens for --seconds
and prints p50/p95/p99 latency and errors per request kind and overall, and CPU and memory per process
(gunicorn master and workers, the store's PostgreSQL backends, Redis) sampled every second, with the
machine's load. Nothing asserts: it reports (the goal: p95 under 300 ms, no errors).

Requests are those the browser makes: the page shell, `_dash-layout`, `_dash-dependencies`, then the callbacks
(`_dash-update-component`) with the bodies Dash sends, built from the app's own dependency list, so a renamed
component fails loudly instead of being skipped. Static bundles are not requested: in production the reverse
proxy serves them (README "Production").

Why not locust: the scenarios are chains of Dash callback bodies built from `_dash-dependencies`; threads with
`requests` sessions do that in one file, and locust would add gevent and a dozen other pinned packages for
70 mostly idle users. A scenario is one function in SCENARIOS; a user kind is a list of them (EXPLORER, WALL).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("IOC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("IOC_BENCH_REDIS", "redis://127.0.0.1:6379/1")
PERIODS = ("7d", "30d", "month")
WALL_VIEWS = ("map", "tilemap", "tiles", "hotline", "plan02", "d766")
WALL_SEARCH = "?views=" + ",".join(WALL_VIEWS) + "&rotate=60&refresh=10"
EXPORT_SHARE = 0.25  # one visit in four ends with an export
EXPORT_FORMATS, EXPORT_WEIGHTS = ("csv", "xlsx", "pdf", "png"), (4, 4, 1, 1)
KPIS = ("on_time_rate", "online_share", "full_online_share", "dossiers_received", "tickets_open",
        "documents_signed_share")


# ------------------------------------------------------------------------------------------- recording

@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[name].append(seconds * 1000)
            if error:
                self.errors[name].append(error)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# ------------------------------------------------------------------------------------------- the browser's requests

class Dash:
    """Callback bodies as the browser builds them, from the app's `_dash-dependencies`."""

    def __init__(self, dependencies: list[dict]):
        self.dependencies = dependencies

    def find(self, output_part: str, first_input: str | None = None) -> dict | None:
        for dep in self.dependencies:
            if output_part in dep["output"] and (first_input is None or
                                                 f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}" == first_input):
                return dep
        return None

    @staticmethod
    def outputs(key: str):
        def one(text: str) -> dict:
            ident, prop = text.split("@")[0].rsplit(".", 1)
            return {"id": ident, "property": prop}
        if key.startswith(".."):
            return [one(part) for part in key.strip(".").split("...")]
        return one(key)

    def body(self, dep: dict, values: dict) -> dict:
        def fill(items):
            return [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                    for i in items]
        inputs = fill(dep["inputs"])
        return {"output": dep["output"], "outputs": self.outputs(dep["output"]), "inputs": inputs,
                "state": fill(dep.get("state", [])),
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


class User:
    """One person's browser (signed in as the bench person) or one wall screen (its display token)."""

    def __init__(self, base: str, rng: random.Random, communes: list[str], think: tuple, credentials: dict,
                 screen: bool = False):
        self.base, self.rng, self.communes, self.think = base, rng, communes, think
        self.credentials, self.screen = credentials, screen
        self.results: Results | None = None
        self.http = requests.Session()
        self.dash: Dash | None = None
        self.values: dict = {}
        self.signed_in = False

    def sign_in(self) -> None:
        """Once per browser, timed as its own request kind (argon2 on the server for a person)."""
        from tools import signin

        started, error = time.perf_counter(), None
        try:
            if self.screen:
                signin.screen(self.base, self.credentials["display_token"], WALL_SEARCH, self.http)
            else:
                signin.signed_in(self.base, self.credentials["username"], self.credentials["password"], self.http)
            self.signed_in = True
        except (requests.RequestException, RuntimeError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.results.add("wall: display token" if self.screen else "login", time.perf_counter() - started, error)

    def request(self, name: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        error = None
        response = None
        try:
            response = self.http.request(method, self.base + path, timeout=60, **kwargs)
            if response.status_code not in (200, 204):
                error = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        self.results.add(name, time.perf_counter() - started, error)
        return response if error is None else None

    def callback(self, name: str, output_part: str, first_input: str | None = None, **values):
        dep = self.dash.find(output_part, first_input)
        if dep is None:
            raise LookupError(f"no callback with output {output_part!r} in this build")
        self.values.update({k.replace("__", "."): v for k, v in values.items()})
        return self.request(name, "POST", "/_dash-update-component", json=self.dash.body(dep, self.values))

    def ensure_dash(self) -> Dash:
        """The shell's layout and the callback list, fetched once per browser (as Dash's renderer does)."""
        if self.dash is None:
            self.request("dash layout", "GET", "/_dash-layout")
            deps = self.request("dash dependencies", "GET", "/_dash-dependencies")
            self.dash = Dash(deps.json() if deps is not None else [])
        return self.dash

    def load_page(self, name: str, path: str, search: str):
        self.request(f"{name}: page", "GET", path + search)
        self.ensure_dash()
        self.values = {"url.pathname": path, "url.search": search}
        return self.callback(f"{name}: router", "page.children", url__pathname=path, url__search=search)

    def pause(self) -> None:
        time.sleep(self.rng.uniform(*self.think))


# ------------------------------------------------------------------------------------------- scenarios

def overview(user: User) -> None:
    period = user.rng.choice(PERIODS)
    user.load_page("overview", "/", f"?period={period}")
    user.pause()
    for _ in range(2):  # KPI and period switches: the Patch of the map's values and the tiles
        period, kpi = user.rng.choice(PERIODS), user.rng.choice(KPIS)
        user.callback("overview: KPI switch", "overview-map.figure", **{"overview-period__value": period,
                                                                         "overview-kpi__value": kpi})
        user.callback("overview: URL sync", "url.search", "overview-period.value")
        user.pause()


def commune(user: User) -> None:
    code = user.rng.choice(user.communes)
    user.callback("overview: map click", "url.pathname", **{"overview-map__clickData": {"points": [{"location": code}]}})
    user.load_page("commune", f"/commune/{code}", f"?period={user.rng.choice(PERIODS)}")
    user.pause()
    user.callback("commune: period switch", "commune-tiles.children", **{"commune-period__value": user.rng.choice(PERIODS),
                                                                         "commune-code__data": code})
    user.pause()


def sources(user: User) -> None:
    user.load_page("sources", "/sources", "")
    user.pause()


def store_data(node, component_id: str):
    """The `data` of the dcc.Store with this id in a serialised layout (None if absent)."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id and "data" in props:
            return props["data"]
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = store_data(child, component_id)
        if found is not None:
            return found
    return None


def export(user: User) -> None:
    """Staff export what is on screen now and then: a snapshot and its file (PNG and PDF through Chromium)."""
    if user.rng.random() > EXPORT_SHARE:
        return
    fmt = user.rng.choices(EXPORT_FORMATS, weights=EXPORT_WEIGHTS)[0]
    user.callback(f"export: {fmt}", "export-download.data", **{"export-button__n_clicks": 1,
                                                                "export-format__value": fmt})
    user.pause()


def wall(user: User) -> None:
    """A wall screen: its page once, then the poll (has the data changed? freshness badges) every
    --wall-refresh seconds, as the browser's interval sends it."""
    if not getattr(user, "wall_loaded", False):
        page = user.load_page("wall", "/wall", WALL_SEARCH)
        user.wall_version = store_data(page.json() if page is not None else {}, "wall-version")
        user.wall_loaded, user.ticks = True, 0
        return
    time.sleep(user.wall_refresh)
    user.ticks += 1
    body = {"output": user.dash.find("wall-version-latest.data")["output"],
            "outputs": [{"id": "wall-version-latest", "property": "data"},
                        [{"id": {"type": "wall-fresh", "view": v}, "property": "children"} for v in WALL_VIEWS],
                        {"id": "wall-as-of", "property": "children"}],
            "inputs": [{"id": "wall-poll", "property": "n_intervals", "value": user.ticks}],
            "state": [{"id": "wall-version", "property": "data", "value": user.wall_version},
                      {"id": "url", "property": "search", "value": WALL_SEARCH}],
            "changedPropIds": ["wall-poll.n_intervals"]}
    user.request("wall: poll", "POST", "/_dash-update-component", json=body)


SCENARIOS = {"overview": overview, "commune": commune, "sources": sources, "export": export, "wall": wall}
EXPLORER = ["overview", "commune", "export", "overview", "sources"]  # a visit, repeated until the time is up
WALL = ["wall"]


def make_users(base: str, kinds: list[tuple[list[str], int]], communes: list[str], think: tuple, credentials: dict,
               wall_refresh: float, seed: int = 1) -> list[tuple["User", list[str]]]:
    """Browsers and screens kept from the warm-up to the measured run, as real ones stay signed in."""
    users, n = [], 0
    for plan, count in kinds:
        for _ in range(count):
            n += 1
            user = User(base, random.Random(seed * 1000 + n), communes, think, credentials, screen=plan == WALL)
            user.wall_refresh = wall_refresh
            users.append((user, plan))
    return users


def run_users(users: list[tuple["User", list[str]]], seconds: float) -> Results:
    results, stop, threads = Results(), time.monotonic() + seconds, []

    def live(user: User, plan: list[str]) -> None:
        user.results = results
        while time.monotonic() < stop:
            if not user.signed_in:
                user.sign_in()
                if not user.signed_in:
                    time.sleep(1)
                    continue
            for name in plan:
                if time.monotonic() >= stop:
                    return
                try:
                    SCENARIOS[name](user)
                except Exception as exc:  # noqa: BLE001 — a broken scenario is an error in the report
                    results.add(f"{name}: scenario", 0.0, f"{type(exc).__name__}: {exc}")
                    time.sleep(1)

    for user, plan in users:
        threads.append(threading.Thread(target=live, args=(user, plan), daemon=True))
    for thread in threads:
        thread.start()
        time.sleep(min(0.05, seconds / 100))  # ramp up over a few seconds, as screens come on
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return results


# ------------------------------------------------------------------------------------------- processes

class Sampler(threading.Thread):
    """CPU % and RSS per process group, every second."""

    def __init__(self, groups):
        super().__init__(daemon=True)
        self.groups, self.samples, self.stopped = groups, defaultdict(list), threading.Event()
        self.peak_rss = defaultdict(float)

    def run(self):
        known: dict[int, psutil.Process] = {}
        while not self.stopped.wait(1.0):
            per_group = defaultdict(lambda: [0.0, 0.0])
            for group, finder in self.groups.items():
                for proc in finder():
                    proc = known.setdefault(proc.pid, proc)
                    try:
                        cpu = proc.cpu_percent(None)
                        rss = proc.memory_info().rss / 2**20
                    except psutil.Error:
                        continue
                    per_group[group][0] += cpu
                    per_group[group][1] += rss
            for group, (cpu, rss) in per_group.items():
                self.samples[group].append(cpu)
                self.peak_rss[group] = max(self.peak_rss[group], rss)


def gunicorn_groups(master: psutil.Process, database: str | None):
    def workers():
        try:
            return master.children()
        except psutil.Error:
            return []

    def postgres():
        if not database:
            return []
        return [p for p in psutil.process_iter(["name", "cmdline"]) if p.info["name"] == "postgres"
                and f" {database} " in " ".join(p.info["cmdline"] or []) + " "]

    def redis():
        return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"]

    def browsers():  # the Chromium each worker keeps for PNG and PDF exports (exports/png.py)
        try:
            direct = {p.pid for p in master.children()}
            return [p for p in master.children(recursive=True) if p.pid not in direct]
        except psutil.Error:
            return []

    groups = {"gunicorn master": lambda: [master], "gunicorn workers": workers,
              "exports' Chromium": browsers, "load generator (this process)": lambda: [psutil.Process()]}
    if database:
        groups.update({"postgres backends": postgres, "redis-server": redis})
    return groups


# ------------------------------------------------------------------------------------------- the store and server

def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def prepare_store(db: str, days: int, reuse: bool) -> tuple[str, str | None]:
    """(DATABASE_URL, PostgreSQL database name) with the last `days` of demo data."""
    env = {**os.environ}
    if db == "sqlite":
        path = ROOT / "var" / "bench" / f"load-{days}d.db"
        url = f"sqlite:///{path}"
        if path.exists() and reuse:
            return url, None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        name = None
    else:
        from sqlalchemy import create_engine, text

        name = f"ioc_bench_load_{days}d"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if exists and reuse:
                admin.dispose()
                return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env["DATABASE_URL"] = url
    env.pop("IOC_SOURCES", None)
    started = time.monotonic()
    run([sys.executable, "cli.py", "db", "upgrade"], env)
    run([sys.executable, "cli.py", "demo", "seed", "--days", str(days)], env)
    print(f"seeded {days} days of demo data in {time.monotonic() - started:.0f} s", flush=True)
    return url, name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, redis_url: str | None, workers: int | None, threads: int | None):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "BIND_HOST": "127.0.0.1",
           "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="ioc-load-prom-")}
    env.pop("IOC_SOURCES", None)
    env.pop("REDIS_URL", None)
    env.setdefault("SECRET_KEY", secrets.token_hex(32))  # required in production mode (PostgreSQL)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["WEB_THREADS"] = str(threads)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=open(ROOT / "var" / "bench" / "load-gunicorn.log", "w"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/healthz", timeout=2)
            return web, base
        except requests.ConnectionError:
            if web.poll() is not None:
                raise SystemExit("gunicorn exited: see var/bench/load-gunicorn.log")
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 120 s")


def bench_credentials(url: str) -> dict:
    """A person (leader, whole city) and a display token in the store under test (tools/signin.py)."""
    from store.db import engine_for
    from tools.signin import bench_person, bench_screen

    engine = engine_for(url)
    return {"username": "bench", "password": bench_person(engine, "bench"), "display_token": bench_screen(engine)}


def communes_of(url: str) -> list[str]:
    from metrics.frame import unit_codes
    from store.db import engine_for

    return unit_codes(engine_for(url))[0]


# ------------------------------------------------------------------------------------------- report

def report(results: Results, seconds: float, sampler: Sampler | None, load: tuple, label: str) -> dict:
    everything = [t for times in results.times.values() for t in times]
    errors = sum(len(e) for e in results.errors.values())
    print(f"\n## {label}: {len(everything):,} requests in {seconds:.0f} s ({len(everything) / seconds:.1f}/s), "
          f"{errors} errors; 1-minute load {load[0]:.2f} before, {load[1]:.2f} after, {os.cpu_count()} cores\n")
    print("| request | count | errors | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|")
    rows = {}
    for name in sorted(results.times):
        times = results.times[name]
        rows[name] = {"count": len(times), "errors": len(results.errors.get(name, [])),
                      "p50": percentile(times, 50), "p95": percentile(times, 95), "p99": percentile(times, 99)}
        r = rows[name]
        print(f"| {name} | {r['count']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} |")
    total = {"count": len(everything), "errors": errors}
    if everything:
        total.update({q: percentile(everything, int(q[1:])) for q in ("p50", "p95", "p99")})
        print(f"| **all** | {total['count']} | {errors} | **{total['p50']:.0f}** | **{total['p95']:.0f}** | "
              f"**{total['p99']:.0f}** |")
    for name, errs in results.errors.items():
        print(f"errors in {name}: {sorted(set(errs))[:5]}")
    processes = {}
    if sampler is not None:
        print("\n| process | mean CPU % | peak CPU % | peak RSS MiB |\n|---|---|---|---|")
        for group, cpu in sampler.samples.items():
            processes[group] = {"cpu_mean": statistics.fmean(cpu) if cpu else 0.0, "cpu_peak": max(cpu, default=0.0),
                                "rss_peak_mib": sampler.peak_rss[group]}
            p = processes[group]
            print(f"| {group} | {p['cpu_mean']:.0f} | {p['cpu_peak']:.0f} | {p['rss_peak_mib']:.0f} |")
    return {"label": label, "requests": rows, "total": total, "processes": processes, "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="Test a server already running here instead (needs --database-url).")
    parser.add_argument("--database-url", help="With --url: the store, to pick commune codes from.")
    parser.add_argument("--days", type=int, default=30, help="Days of demo data to seed.")
    parser.add_argument("--reuse", action="store_true", help="Keep a store seeded by a previous run.")
    parser.add_argument("--store", help="Serve this existing store (a DATABASE_URL) instead of seeding one, e.g. "
                        "the 10-million-dossier stores of bench/kpis.py: sqlite:///var/bench_kpis.db or "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/ioc_bench.")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="Seconds of traffic before measuring.")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), help="A person's pause, seconds.")
    parser.add_argument("--wall-refresh", type=float, default=10.0, help="A wall screen's polling interval.")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py).")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-redis", action="store_true", help="PostgreSQL without the Redis frame cache.")
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    web = sampler = None
    if args.url:
        base, url, database = args.url.rstrip("/"), args.database_url or os.environ.get("DATABASE_URL"), None
        if not url:
            raise SystemExit("--url needs --database-url (to pick commune codes)")
    else:
        if args.store:
            url = args.store
            database = url.rsplit("/", 1)[-1].split("?")[0] if url.startswith("postgresql") else None
        else:
            url, database = prepare_store(args.db, args.days, args.reuse)
        redis_url = REDIS if args.db == "postgres" and not args.no_redis else None
        if redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()  # the bench's own Redis database: a cold shared cache
        web, base = start_server(url, redis_url, args.workers, args.threads)
    communes = communes_of(url)
    credentials = bench_credentials(url)
    users = make_users(base, [(EXPLORER, args.users), (WALL, args.walls)], communes, tuple(args.think), credentials,
                       args.wall_refresh)
    try:
        if args.warmup:  # sign-ins, imports, first frames: not measured
            run_users(users, args.warmup)
        if web is not None:
            sampler = Sampler(gunicorn_groups(psutil.Process(web.pid), database))
            sampler.start()
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        results = run_users(users, args.seconds)
        took = time.monotonic() - started
        if sampler is not None:
            sampler.stopped.set()
            sampler.join()
        workers = args.workers or int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)
        data = f"store {args.store}" if args.store else f"{args.days} days of demo data"
        label = (f"{args.db}{' + Redis' if args.db == 'postgres' and not args.no_redis else ''}, {data}, "
                 f"{args.users} explorers + {args.walls} walls, {workers} workers" if not args.url
                 else f"{base}, {args.users} explorers + {args.walls} walls")
        figures = report(results, took, sampler, (load_before, os.getloadavg()[0]), label)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)


if __name__ == "__main__":
    main()
