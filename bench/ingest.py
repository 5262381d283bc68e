"""Ingest throughput: dossiers per second through the whole pipeline, next to the raw write floor. Prints figures.

    python bench/ingest.py [--rows 1000000] [--db sqlite|postgres|both] [--page-size 5000] [--profile] [--chain]

Starts the demo feed (`ingest/demo/server.py`, calibrated volume) in a second process on 127.0.0.1, serving
exactly --rows dossiers, and pulls them with the `dossier_api` connector through `ingest.pipeline.pull`
(HTTP → map → validate → privacy scrub → prepare → upsert → rollups → watermark), into a temporary SQLite
file and/or a PostgreSQL database created for the run (`ioc_bench_ingest`, dropped at the end).

The floor is the same driver rows written raw into the same table schema, in the same run: `sqlite3`
executemany (one transaction) and PostgreSQL `COPY` (psycopg `cursor.copy`). Those rows are made by an
untimed pass of the same connector over the same pages before the timed pull; that pass also makes the
server render and keep every page, so the timed pull measures this machine's client side, not the demo
server's JSON rendering (a real portal renders on its own machine).

With --chain it also times the writer's chain alone: the same pull into an empty store, with every batch prepared
beforehand in this process (untimed), as the preparing processes would hand them over. No preparing, however fast,
can bring the pipeline under that time on this machine (issue 3).

Nothing here asserts a time: it reports. Run it when the machine is quiet (the 1-minute load is printed).
"""
from __future__ import annotations

import argparse
import cProfile
import itertools
import multiprocessing
import os
import platform
import pstats
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("IOC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "ioc_bench_ingest"
PER_DAY = 10_000  # a first guess of the demo city's dossiers a day (it grows a week at a time from there)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine(pg_version: str | None) -> None:
    ram = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:")) / 2**20
    print(f"machine   {os.cpu_count()} cores, {ram:.1f} GiB RAM, {platform.platform()}")
    print(f"software  Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
          + (f", PostgreSQL {pg_version}" if pg_version else ""))
    print(f"load      {load()} (1, 5, 15 min)", flush=True)


def _serve(rows: int, pipe) -> None:
    """The demo feed in its own process (the server's CPU is not the pipeline's), holding exactly `rows`
    dossiers: its clock is the first midnight by which the demo city has received that many."""
    from ingest.demo.generator import DEMO_START
    from ingest.demo.server import DemoFeed, make_server
    from metrics.time import TZ

    feed = DemoFeed(scale=1.0, limit=rows, keep_pages=True)
    days = -(-rows // PER_DAY)
    while True:
        feed.fixed_clock = datetime.combine(DEMO_START + timedelta(days=days), datetime.min.time(), TZ)
        if len(feed.dossiers(None, feed.fixed_clock)) == rows:
            break
        days += 7
    server = make_server(feed)
    pipe.send((server.server_address[1], feed.fixed_clock))
    server.serve_forever()


def source(url: str, page_size: int):
    from ingest.sources import SourceConfig

    return SourceConfig("bench", "dossier_api", timedelta(minutes=5), timedelta(minutes=15),
                        {"url": url, "page_size": page_size, "start": "2025-07-01"})


def driver_rows(src, until: datetime, sqlite: bool, profile: bool) -> list[tuple]:
    """The driver rows the pipeline writes, from the same pages: the same parts of the window as the preparing
    processes read (untimed; fills the server's page cache). A record the parts' overlaps read twice is kept
    once, as the pipeline stores it once."""
    from ingest import pipeline

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    rows = {}
    parts = pipeline.PREPARING_PROCESSES
    for part in range(parts):
        for batch in pipeline.prepared_batches(src, None, until, sqlite, part, parts):
            if batch.rejected:
                raise SystemExit(f"the feed sent {len(batch.rejected)} rows the contract refuses: "
                                 f"{batch.rejected[0]}")
            rows.update((row[1], row) for row in batch.prepared.rows)  # (source, dossier_id, …)
    if profiler:
        profiler.disable()
        print("profile of fetch → map → validate → prepare (in one process), by own time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    return list(rows.values())


def prepared_beforehand(src, until: datetime, sqlite: bool) -> list:
    """Every batch of the pull as the writer would receive it: from the preparing processes on a backfill
    (ingest.pipeline._produce: the window's slices taken in turn from one counter, PostgreSQL's new dossiers as
    COPY text), else as the writer's own process prepares them."""
    from ingest import pipeline
    from ingest.connectors import connector_for

    print("  preparing every batch beforehand for the chain alone (untimed) …", flush=True)
    connector = connector_for(src)
    if not (connector.prepare_in_subprocess and connector.worth_a_subprocess(None, until)):
        return list(pipeline.prepared_batches(src, None, until, sqlite))
    taken = itertools.count()
    parts = [pipeline.prepared_batches(src, None, until, sqlite, part, pipeline.PREPARING_PROCESSES,
                                       as_copy_text=not sqlite, claim=lambda: next(taken))
             for part in range(pipeline.PREPARING_PROCESSES)]
    batches = []
    while parts:
        for part in list(parts):
            batch = next(part, None)
            if batch is None:
                parts.remove(part)
                continue
            batch.on_committed = None
            batches.append(batch)
    for i, batch in enumerate(batches, start=1):
        batch.followed, batch.progress = i < len(batches), i / len(batches)  # all there: groups fill up
    return batches


def run_chain(url: str, src, until: datetime, expected: int, batches: list):
    """run_pipeline with the batches already prepared: the writer's chain alone (upserts, rollups, commits)."""
    from ingest import pipeline

    def given(*args, **kwargs):
        return iter(batches)

    with mock.patch.object(pipeline, "_prepared_in_children", given), \
            mock.patch.object(pipeline, "prepared_batches", given):
        return run_pipeline(url, src, until, expected)


def report_chain(db: str, n: int, floor_s: float, seconds: float) -> float:
    print(f"  {db}: the writer's chain alone {n / seconds:>10,.0f} rows/s   ({seconds:6.1f} s)   "
          f"= {100 * floor_s / seconds:.0f} % of the floor (every batch prepared beforehand)", flush=True)
    return n / seconds


def insert_sql(paramstyle_mark: str) -> tuple[str, tuple[str, ...]]:
    from ingest.contracts import RecordKind
    from store.writes import UPSERTS

    columns = UPSERTS[RecordKind.dossier].columns
    return (f"INSERT INTO dossiers ({', '.join(columns)}) VALUES ({', '.join([paramstyle_mark] * len(columns))})",
            columns)


def sqlite_floor(path: Path, rows: list[tuple]) -> float:
    sql, _ = insert_sql("?")
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):  # as the store's engine sets them
        con.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany(sql, rows)
    con.execute("COMMIT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def pg_floor(url: str, rows: list[tuple]) -> float:
    import psycopg

    _, columns = insert_sql("%s")
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        started = time.perf_counter()
        with con.cursor() as cur, cur.copy(f"COPY dossiers ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        con.commit()
        seconds = time.perf_counter() - started
        con.execute("TRUNCATE dossiers RESTART IDENTITY")  # the pipeline starts from an empty table too
        con.commit()
        con.execute("CHECKPOINT")
    return seconds


def run_pipeline(url: str, src, until: datetime, expected: int):
    from sqlalchemy import func, select

    from ingest import pipeline
    from store.db import engine_for
    from store.schema import dossiers

    engine = engine_for(url)
    print(f"  load before the timed pull: {load()}", flush=True)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, started = time.process_time(), time.perf_counter()
    result = pipeline.pull(engine, src, until=until)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the preparing processes, joined by now
    result.cpu = {"writer": cpu, "preparing": (children.ru_utime + children.ru_stime)
                  - (children_before.ru_utime + children_before.ru_stime)}
    if result.status != "ok":
        raise SystemExit(f"the pull failed: {result.error}")
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(dossiers)).scalar_one()
    if (held, result.rows_stored, result.rows_quarantined) != (expected, expected, 0):
        raise SystemExit(f"expected {expected:,} stored and none quarantined; got {held:,} held, "
                         f"{result.rows_stored:,} stored, {result.rows_quarantined:,} quarantined")
    engine.dispose()
    return result, seconds


def report(db: str, n: int, floor_s: float, floor_how: str, result, seconds: float) -> dict:
    from ingest.pipeline import PREPARING_PROCESSES

    floor_rate, rate = n / floor_s, n / seconds
    print(f"  {db}: floor ({floor_how}) {floor_rate:>10,.0f} rows/s   ({floor_s:6.1f} s)")
    print(f"  {db}: pipeline           {rate:>10,.0f} rows/s   ({seconds:6.1f} s)   "
          f"= {100 * rate / floor_rate:.0f} % of the floor")
    stages = result.stages
    print("  where the time goes (seconds"
          + (f"; fetch, validate and prepare ran in {PREPARING_PROCESSES} processes beside the writer, so the sum "
             "exceeds the wall time):" if result.prepared_in_subprocess else ", all in one process):"))
    for name, label in (("http", "HTTP + JSON parse + mapping"), ("validate", "validate (pydantic) + privacy scrub"),
                        ("prepare", "prepare (driver rows)"), ("write", "write (upsert, commit)"),
                        ("deltas", "daily rollups (each batch's deltas)"),
                        ("rollups", f"backlog + months ({result.rollup_refreshes} refreshes)")):
        print(f"    {label:<38}{stages.get(name, 0.0):7.1f}")
    print(f"    {'wall':<38}{seconds:7.1f}")
    print(f"  CPU seconds: this process (writing) {result.cpu['writer']:.1f}"
          + (f", the {PREPARING_PROCESSES} preparing processes {result.cpu['preparing']:.1f}"
             if result.prepared_in_subprocess else ""),
          flush=True)
    return {"db": db, "floor": floor_rate, "pipeline": rate}


def bench_sqlite(n: int, src, until: datetime, profile: bool, chain: bool) -> dict:
    from store.migrate import upgrade

    rows = driver_rows(src, until, True, profile)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
        upgrade(f"sqlite:///{tmp}/floor.db")
        print(f"  load before the floor: {load()}", flush=True)
        floor_s = sqlite_floor(Path(tmp) / "floor.db", rows)
        del rows
        url = f"sqlite:///{tmp}/pipeline.db"
        upgrade(url)
        result, seconds = run_pipeline(url, src, until, n)
        out = report("SQLite", n, floor_s, "executemany", result, seconds)
        if chain:
            batches = prepared_beforehand(src, until, True)
            url = f"sqlite:///{tmp}/chain.db"
            upgrade(url)
            out["chain"] = report_chain("SQLite", n, floor_s, run_chain(url, src, until, n, batches)[1])
    return out


def bench_postgres(n: int, src, until: datetime, profile: bool, chain: bool) -> dict:
    from sqlalchemy import create_engine, text

    from store.db import engine_for
    from store.migrate import upgrade

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"

    def fresh_database() -> None:
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))

    fresh_database()
    try:
        upgrade(url)
        rows = driver_rows(src, until, False, profile)
        print(f"  load before the floor: {load()}", flush=True)
        floor_s = pg_floor(url, rows)
        del rows
        result, seconds = run_pipeline(url, src, until, n)
        out = report("PostgreSQL", n, floor_s, "COPY", result, seconds)
        if chain:
            batches = prepared_beforehand(src, until, False)
            fresh_database()
            upgrade(url)
            out["chain"] = report_chain("PostgreSQL", n, floor_s, run_chain(url, src, until, n, batches)[1])
        return out
    finally:
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def pg_version() -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--page-size", type=int, default=5000, help="dossiers per HTTP page (the server's maximum)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the fetch → prepare pass (run in one process)")
    parser.add_argument("--chain", action="store_true",
                        help="also time the writer's chain alone, every batch prepared beforehand")
    args = parser.parse_args()

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    machine(pg_version() if "postgres" in dbs else None)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(args.rows, theirs), daemon=True, name="demo-feed")
    server.start()
    try:
        port, until = ours.recv()
        print(f"feed      {args.rows:,} dossiers (demo city, 1 July 2025 → {until:%d %B %Y}), "
              f"pages of {args.page_size:,}, demo server on 127.0.0.1:{port}", flush=True)
        src = source(f"http://127.0.0.1:{port}/portal/dossiers", args.page_size)
        bench = {"sqlite": bench_sqlite, "postgres": bench_postgres}
        results = [bench[db](args.rows, src, until, args.profile, args.chain) for db in dbs]
    finally:
        server.terminate()
        server.join(timeout=10)
    print(f"load      {load()} at the end")
    print()
    chain = args.chain and f"{'chain alone / floor':>21}"
    print(f"{'database':<12}{'floor rows/s':>14}{'pipeline rows/s':>17}{'pipeline / floor':>18}{chain or ''}")
    for r in results:
        print(f"{r['db']:<12}{r['floor']:>14,.0f}{r['pipeline']:>17,.0f}{r['pipeline'] / r['floor']:>17.0%}"
              + (f"{r['chain'] / r['floor']:>20.0%}" if chain else ""))


if __name__ == "__main__":
    main()
