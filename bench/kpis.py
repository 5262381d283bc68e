"""The overview frame at city scale (~10 million dossiers): the store against DuckDB on the raw records.

    python bench/kpis.py [--reuse] [--keep] [--no-postgres] [--scale 1.21] [--month 2026-10] [--runs 9]

Builds a store of the demo city from 1 July 2025 to yesterday (scale 1.21 ≈ 10 million dossiers) on SQLite
(var/bench_kpis.db) and on PostgreSQL (database `ioc_bench` on the test server, dropped at the end unless
--keep), or reuses them with --reuse. The records are written in bulk (the generator's versions as of
today's midnight → the store's own row preparation → executemany; PostgreSQL gets the same rows by COPY
from the SQLite store), and the rollups are then built by the product's own code
(store.rollups.rebuild_all), so the frame reads exactly what ingest would leave.

Then, for one month: the overview frame (every unit × every KPI) cold (cache bypassed, median of --runs)
and cached, next to DuckDB computing the dossier measures per commune from a Parquet export of the raw
dossiers table made in the same run, whether the numbers match, the peak memory, the machine and its load.
Nothing here asserts: it prints figures.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from ingest.contracts import DossierStatus, RecordKind, TicketStatus  # noqa: E402
from metrics import frame  # noqa: E402
from metrics.time import TZ  # noqa: E402
from store import rollups, writes  # noqa: E402
from store.db import engine_for  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.schema import dossiers, source_states  # noqa: E402

SOURCE = "demo"
PG_ADMIN = os.environ.get("IOC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DB = "ioc_bench"
_CITY = None


def _city(scale: float):
    global _CITY
    if _CITY is None:
        from geo.communes import communes_frame
        from ingest.demo.generator import DemoCity

        departments = pd.read_csv(ROOT / "store" / "reference" / "departments.csv")
        _CITY = DemoCity(communes_frame(), departments, scale=scale)
    return _CITY


def _records(dicts: list[dict], status) -> list:
    # Attribute access for writes.prepare; the generator's rows are valid by construction, and validating
    # 10 million of them (the pipeline's cost) is not what this benchmark measures.
    out = []
    for d in dicts:
        r = SimpleNamespace(**d)
        r.status = status(r.status)
        out.append(r)
    return out


def _prepare_day(job: tuple) -> list[tuple[RecordKind, list[tuple]]]:
    day, as_of, scale, sqlite = job
    city = _city(scale)
    out = [(RecordKind.dossier, _records(city.dossier_versions(day, as_of), DossierStatus)),
           (RecordKind.ticket, _records(city.ticket_versions(day, as_of), TicketStatus)),
           (RecordKind.document_count, [SimpleNamespace(**d) for d in city.document_counts(day)])]
    return [(kind, writes.prepare(SOURCE, kind, recs, sqlite).rows) for kind, recs in out]


def _write(conn, kind: RecordKind, rows: list[tuple]) -> None:
    if not rows:
        return
    upsert = writes.UPSERTS[kind]
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cur = raw.cursor()
        with cur.copy(f"COPY {upsert.table.name} ({', '.join(upsert.columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.cursor().executemany(upsert.sql(conn.dialect.paramstyle), rows)


def _hold(conn) -> None:
    """The source registered as a pull registers it, and its records held counted (the bulk writes go around
    store_prepared, which counts them at ingest; issue 8): the sources page reads them."""
    if conn.execute(select(source_states.c.source).where(source_states.c.source == SOURCE)).first() is None:
        conn.execute(source_states.insert().values(source=SOURCE, kind="demo"))
    writes.recount_held(conn)


def build(url: str, scale: float, start: date) -> None:
    """Migrate, write every day's records in bulk, then the product's rollups over all of them."""
    upgrade(url)
    engine = engine_for(url)
    sqlite = engine.dialect.name == "sqlite"
    today = datetime.now(TZ).date()
    as_of = datetime.combine(today, datetime.min.time(), TZ)
    days = [start + timedelta(days=i) for i in range((today - start).days)]
    t0 = time.perf_counter()
    n = 0
    # One process generates and prepares the next day while this one writes.
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pending = [pool.apply_async(_prepare_day, ((d, as_of, scale, sqlite),)) for d in days[:2]]
        for i in range(len(days)):
            batches = pending.pop(0).get()
            if i + 2 < len(days):  # at most two days in flight: memory stays flat
                pending.append(pool.apply_async(_prepare_day, ((days[i + 2], as_of, scale, sqlite),)))
            with engine.begin() as conn:
                for kind, rows in batches:
                    _write(conn, kind, rows)
                    n += len(rows) if kind is RecordKind.dossier else 0
            if (i + 1) % 30 == 0 or i + 1 == len(days):
                print(f"  {engine.dialect.name}: {days[i]}  {n:,} dossiers  {time.perf_counter() - t0:6.0f} s",
                      flush=True)
    t1 = time.perf_counter()
    with engine.begin() as conn:
        _hold(conn)
        rollups.rebuild_all(conn)
        writes.bump_data_version(conn)
    if not sqlite:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  {engine.dialect.name}: records {t1 - t0:.0f} s, rollups (store.rollups.rebuild_all) "
          f"{time.perf_counter() - t1:.0f} s", flush=True)


def copy_store(sqlite_url: str, url: str, since: date | None = None) -> None:
    """PostgreSQL from the SQLite store's records (the same rows, far faster than generating them again;
    only those received from `since` on when given), then the product's rollups over them."""
    upgrade(url)
    engine = engine_for(url)
    t0 = time.perf_counter()
    source = engine_for(sqlite_url).raw_connection()
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("SET TIME ZONE 'UTC'")  # SQLite holds UTC times as zone-less text
        for kind in (RecordKind.dossier, RecordKind.ticket, RecordKind.document_count):
            upsert = writes.UPSERTS[kind]
            columns = ", ".join(upsert.columns)
            cur = source.cursor()
            day = "day" if kind is RecordKind.document_count else "received_day"
            cur.execute(f"SELECT {columns} FROM {upsert.table.name} WHERE {day} >= ?", (str(since or date.min),))
            with raw.cursor().copy(f"COPY {upsert.table.name} ({columns}) FROM STDIN") as copy:
                while rows := cur.fetchmany(100_000):
                    for row in rows:
                        copy.write_row(row)
    source.close()
    t1 = time.perf_counter()
    with engine.begin() as conn:
        _hold(conn)
        rollups.rebuild_all(conn)
        writes.bump_data_version(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  postgresql: records copied from SQLite {t1 - t0:.0f} s, rollups (store.rollups.rebuild_all) "
          f"{time.perf_counter() - t1:.0f} s", flush=True)


def count_dossiers(url: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(dossiers)).scalar_one()


# ------------------------------------------------------------------------------------------- measuring

def _median_ms(fn, runs: int) -> tuple[float, float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), times


def time_frame(url: str, start: date, end: date, runs: int) -> dict:
    engine = engine_for(url)
    frame.clear_cache()
    t = time.perf_counter()
    frame.compute(engine, start, end)
    first = (time.perf_counter() - t) * 1000
    cold, cold_min, _ = _median_ms(lambda: frame.compute(engine, start, end), runs)
    frame.kpi_frame(engine, start, end)
    cached, _, _ = _median_ms(lambda: frame.kpi_frame(engine, start, end), runs)
    tracemalloc.start()
    measures, kpis = frame.compute(engine, start, end)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"first": first, "cold": cold, "cold_min": cold_min, "cached": cached, "peak_py": peak,
            "measures": measures, "kpis": kpis}


_DUCK_COLUMNS = ("unit_code", "channel", "full_process_online", "supplement_requests", "received_day", "due_day",
                 "completed_day", "due_at", "completed_at")


def export_parquet(url: str, path: Path, duck) -> float:
    """The raw dossiers table → Parquet (read through the store's own connection, in chunks)."""
    t = time.perf_counter()
    engine = engine_for(url)
    duck.execute("DROP TABLE IF EXISTS raw")
    first = True
    with engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()
        cur.execute(f"SELECT {', '.join(_DUCK_COLUMNS)} FROM dossiers")
        while rows := cur.fetchmany(500_000):
            chunk = pd.DataFrame(rows, columns=list(_DUCK_COLUMNS))
            duck.register("chunk", chunk)
            select_sql = ("SELECT unit_code, channel, CAST(full_process_online AS BOOLEAN) AS full_process_online, "
                          "CAST(supplement_requests AS INTEGER) AS supplement_requests, "
                          "CAST(received_day AS DATE) AS received_day, CAST(due_day AS DATE) AS due_day, "
                          "CAST(completed_day AS DATE) AS completed_day, CAST(due_at AS TIMESTAMP) AS due_at, "
                          "CAST(completed_at AS TIMESTAMP) AS completed_at FROM chunk")
            duck.execute(("CREATE TABLE raw AS " if first else "INSERT INTO raw ") + select_sql)
            duck.unregister("chunk")
            first = False
    duck.execute(f"COPY raw TO '{path}' (FORMAT parquet)")
    duck.execute("DROP TABLE raw")
    return time.perf_counter() - t


def duck_sql(path: Path, start: date, end: date, max_supplements: int, stocks: bool = True) -> str:
    """The dossier measures per unit; without `stocks` only the period's flows (no open backlog, which needs
    every record received before the period's end)."""
    s, e = f"DATE '{start}'", f"DATE '{end}'"
    on_time = f"completed_at <= due_at AND supplement_requests <= {max_supplements}"
    late_day = f"CASE WHEN supplement_requests > {max_supplements} THEN received_day ELSE due_day END"
    received = f"received_day BETWEEN {s} AND {e}"
    ended = f"completed_day BETWEEN {s} AND {e}"
    is_open = f"received_day <= {e} AND (completed_day IS NULL OR completed_day > {e})"
    backlog = (f",\n       count(*) FILTER (WHERE {is_open}) AS open,\n"
               f"       count(*) FILTER (WHERE {is_open} AND {late_day} <= {e}) AS open_overdue") if stocks else ""
    where = "" if stocks else f"WHERE {received} OR {ended}"
    return f"""
SELECT unit_code,
       count(*) FILTER (WHERE {received}) AS received,
       count(*) FILTER (WHERE {received} AND channel = 'online') AS received_online,
       count(*) FILTER (WHERE {received} AND full_process_online) AS received_full_online,
       count(*) FILTER (WHERE {ended}) AS completed,
       count(*) FILTER (WHERE {ended} AND {on_time} AND completed_day < due_day) AS completed_early,
       count(*) FILTER (WHERE {ended} AND {on_time} AND completed_day >= due_day) AS completed_on_time,
       count(*) FILTER (WHERE {ended} AND NOT ({on_time})) AS completed_late{backlog}
FROM read_parquet('{path}')
{where}
GROUP BY unit_code
"""


def compare(duck_frame: pd.DataFrame, measures: pd.DataFrame) -> tuple[int, int, list[str]]:
    """(values compared, values equal, the first differences) over communes × measures."""
    codes = duck_frame.index
    ours = measures.reindex(index=codes, columns=duck_frame.columns).fillna(0)
    theirs = duck_frame.astype(float)
    equal = np.isclose(ours.to_numpy(float), theirs.to_numpy(float))
    diffs = [f"{u} {m}: store {ours.at[u, m]:g}, duckdb {theirs.at[u, m]:g}"
             for u, m in zip(*[ax[i] for ax, i in zip((codes, duck_frame.columns), np.nonzero(~equal))])][:5]
    # Derived KPIs from both sides: on-time rate and online share.
    return int(equal.size), int(equal.sum()), diffs


def kpis_match(duck_frame: pd.DataFrame, kpis: pd.DataFrame) -> dict[str, bool]:
    d = duck_frame.astype(float)
    derived = {
        "on_time_rate": np.where(d.completed > 0, (d.completed_early + d.completed_on_time) / d.completed.where(
            d.completed > 0, 1) * 100, np.nan),
        "online_share": np.where(d.received > 0, d.received_online / d.received.where(d.received > 0, 1) * 100,
                                 np.nan),
    }
    return {k: bool(np.allclose(kpis.loc[d.index, k].to_numpy(float), v, equal_nan=True))
            for k, v in derived.items()}


def time_duckdb(path: Path, start: date, end: date, runs: int, duck) -> tuple[dict, pd.DataFrame]:
    from metrics.rules import rule

    sql = duck_sql(path, start, end, rule("late_supplement_requests"))
    t = time.perf_counter()
    result = duck.execute(sql).df()
    first = (time.perf_counter() - t) * 1000
    median, best, _ = _median_ms(lambda: duck.execute(sql).df(), runs)
    flows = duck_sql(path, start, end, rule("late_supplement_requests"), stocks=False)
    flows_median, flows_best, _ = _median_ms(lambda: duck.execute(flows).df(), runs)
    return ({"first": first, "cold": median, "cold_min": best, "flows": flows_median, "flows_min": flows_best},
            result.set_index("unit_code").sort_index())


# ------------------------------------------------------------------------------------------- the machine

def _mem_gib() -> float:
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1]) / 1024 ** 2


def machine(pg_url: str | None) -> None:
    import sqlite3

    import duckdb

    print(f"machine: {os.cpu_count()} cores, {_mem_gib():.1f} GiB RAM, {platform.platform()}, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, DuckDB {duckdb.__version__}")
    if pg_url:
        with engine_for(pg_url).connect() as conn:
            print(f"PostgreSQL: {conn.execute(text('SHOW server_version')).scalar()}")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _pg_admin():
    return create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


def pg_prepare(reuse: bool) -> tuple[str, bool]:
    """(url of the bench database, whether it must be built)."""
    admin = _pg_admin()
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB}).scalar()
        if exists and not reuse:
            conn.execute(text(f'DROP DATABASE "{PG_DB}" WITH (FORCE)'))
        if not exists or not reuse:
            conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}", not (exists and reuse)


def pg_drop(url: str) -> None:
    engine_for(url).dispose()
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


def _month(text_value: str | None) -> tuple[date, date]:
    if text_value:
        first = date.fromisoformat(text_value + "-01")
    else:  # the last complete month
        first = (datetime.now(TZ).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path, default=ROOT / "var" / "bench_kpis.db")
    parser.add_argument("--reuse", action="store_true", help="reuse the stores a previous run built (and kept)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (the SQLite file stays)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--scale", type=float, default=1.21, help="the demo generator's volume (1.21 ≈ 10 M)")
    parser.add_argument("--start", default="2025-07-01")
    parser.add_argument("--pg-from", help="YYYY-MM-DD: PostgreSQL gets only the records received from then on")
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    start, end = _month(args.month)
    sqlite_url = f"sqlite:///{args.sqlite}"
    stores = {"sqlite": sqlite_url}
    pg_url = None
    if not args.no_postgres:
        pg_url, pg_build = pg_prepare(args.reuse)
        stores["postgresql"] = pg_url
    machine(pg_url)
    print(f"before building: {load()}", flush=True)

    if not (args.reuse and args.sqlite.exists()):
        args.sqlite.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(args.sqlite) + suffix).unlink(missing_ok=True)
        build(sqlite_url, args.scale, date.fromisoformat(args.start))
    else:
        upgrade(sqlite_url)  # a kept store picks up newer migrations (their rollups included)
    if pg_url:
        if pg_build:
            copy_store(sqlite_url, pg_url, date.fromisoformat(args.pg_from) if args.pg_from else None)
        else:
            upgrade(pg_url)

    try:
        import duckdb

        print(f"\nperiod {start} → {end}; {load()}", flush=True)
        results = {}
        for name, url in stores.items():
            n = count_dossiers(url)
            r = time_frame(url, start, end, args.runs)
            results[name] = r
            print(f"{name:<10} {n:,} dossiers; overview frame {r['kpis'].shape[0]} units × {r['kpis'].shape[1]} KPIs: "
                  f"cold median {r['cold']:.1f} ms (best {r['cold_min']:.1f}, first {r['first']:.1f}), "
                  f"cached {r['cached']:.2f} ms, frame peak Python allocations {r['peak_py'] / 2**20:.1f} MiB; "
                  f"{load()}", flush=True)

        print(f"process peak RSS after the frames: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
              "(the store build included when it ran)", flush=True)
        duck = duckdb.connect()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "dossiers.parquet"
            seconds = export_parquet(sqlite_url, path, duck)
            print(f"duckdb     Parquet export of the raw dossiers table: {seconds:.1f} s, "
                  f"{path.stat().st_size / 2**20:.0f} MiB", flush=True)
            d, duck_frame = time_duckdb(path, start, end, args.runs, duck)
        print(f"duckdb     same month from the raw records (dossier measures only, {duck_frame.shape[0]} units): "
              f"median {d['cold']:.1f} ms (best {d['cold_min']:.1f}, first {d['first']:.1f}); the flows alone "
              f"(received, online, completed, on time: no open backlog) median {d['flows']:.1f} ms "
              f"(best {d['flows_min']:.1f}); {load()}")
        for name, r in results.items():
            total, equal, diffs = compare(duck_frame, r["measures"])
            print(f"match {name:<10} {equal}/{total} values equal "
                  f"({', '.join(duck_frame.columns)}); KPIs: {kpis_match(duck_frame, r['kpis'])}")
            for line in diffs:
                print(f"    {line}")
        print("\nfaster than DuckDB: " + ", ".join(f"{n} {results[n]['cold']:.1f} ms vs {d['cold']:.1f} ms → "
                                                   f"{'yes' if results[n]['cold'] < d['cold'] else 'no'}"
                                                   for n in results))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak RSS at the end (DuckDB included) {rss:.0f} MiB; {load()}")
    finally:
        if pg_url and not args.keep:
            pg_drop(pg_url)
            print("PostgreSQL database dropped (--keep keeps it)")


if __name__ == "__main__":
    main()
