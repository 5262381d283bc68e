"""How fast can this machine write the demo history into SQLite at all? Prints figures (issue 8, first run).

    python bench/sqlite_floor.py [--rows 2000000]

Makes --rows demo dossiers as the pipeline's driver rows (the newest days first, untimed), then writes them
raw — no validation, no rollups — into fresh stores (`cli.py db upgrade` schema), two ways:

- as the store is set up (WAL, synchronous=NORMAL, a 64 MiB cache, every index kept up while inserting);
- the fastest this machine allows, safe or not: no journal, synchronous=OFF, a 1 GiB cache, the secondary
  indexes dropped and built again after the rows (only the unique key stays).

Then the whole demo history (1 July 2025 → today, as the demo feed holds it at scale 1) at each rate: a lower
bound on loading it, before generating, validating or rolling anything up. Nothing here asserts: it reports.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WAYS = {
    "as the store is set up": ({"journal_mode": "WAL", "synchronous": "NORMAL", "cache_size": -65536}, False),
    "fastest: no journal, indexes after": ({"journal_mode": "OFF", "synchronous": "OFF", "cache_size": -1048576},
                                           True),
}


def driver_rows(count: int) -> list[tuple]:
    from ingest import pipeline
    from ingest.contracts import RecordKind
    from ingest.sources import SourceConfig
    from metrics.time import now

    source = SourceConfig("demo", "demo", timedelta(minutes=1), timedelta(minutes=3), {})
    rows: list[tuple] = []
    for batch in pipeline.prepared_batches(source, None, now(), sqlite=True):
        if batch.prepared.kind is RecordKind.dossier:
            rows.extend(batch.prepared.rows)
            print(f"\r  making rows: {min(len(rows), count):,} / {count:,}", end="", flush=True)
            if len(rows) >= count:
                print()
                return rows[:count]
    print()
    return rows


def history_size() -> int:
    """Dossiers the demo feed holds from 1 July 2025 to today at scale 1 (generated day by day, untimed)."""
    import pandas as pd

    from config import ROOT
    from geo.communes import communes_frame
    from ingest.demo.generator import DEMO_START, DemoCity

    city = DemoCity(communes_frame(), pd.read_csv(ROOT / "store" / "reference" / "departments.csv"))
    days = (date.today() - DEMO_START).days + 1
    return sum(len(city.dossiers(DEMO_START + timedelta(days=i))) for i in range(days))


def write(path: Path, rows: list[tuple], pragmas: dict, indexes_after: bool) -> tuple[float, float]:
    """(seconds inserting, seconds building indexes) for `rows` into a fresh store at `path`."""
    from ingest.contracts import RecordKind
    from store.db import engine_for
    from store.migrate import upgrade
    from store.writes import UPSERTS

    upgrade(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()  # its pooled connection would keep the journal mode from changing
    columns = UPSERTS[RecordKind.dossier].columns
    sql = f"INSERT INTO dossiers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    con = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        con.execute(f"PRAGMA {name}={value}")
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dossiers' "
                          "AND sql IS NOT NULL").fetchall()
    if indexes_after:
        for name, _ in indexes:
            con.execute(f"DROP INDEX {name}")
    started = time.perf_counter()
    con.execute("BEGIN")
    for i in range(0, len(rows), 100_000):  # the pipeline's transaction size; WAL commits as it does
        con.executemany(sql, rows[i:i + 100_000])
        if pragmas["journal_mode"] == "WAL":
            con.execute("COMMIT")
            con.execute("BEGIN")
    con.execute("COMMIT")
    inserted = time.perf_counter()
    if indexes_after:
        for _, create in indexes:
            con.execute(create)
    built = time.perf_counter()
    con.close()
    return inserted - started, built - inserted


def main() -> None:
    import platform

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    print(f"machine   {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = driver_rows(args.rows)
    history = history_size()
    print(f"history   {history:,} demo dossiers from 1 July 2025 to {date.today():%d %B %Y}")
    with tempfile.TemporaryDirectory(prefix="ioc-floor-") as tmp:
        for i, (label, (pragmas, indexes_after)) in enumerate(WAYS.items()):
            inserting, building = write(Path(tmp) / f"floor{i}.db", rows, pragmas, indexes_after)
            rate = len(rows) / (inserting + building)
            print(f"  {label:<38}{rate:>10,.0f} rows/s  (insert {inserting:.1f} s, indexes {building:.1f} s)"
                  f"  → the whole history ≥ {history / rate:,.0f} s", flush=True)


if __name__ == "__main__":
    main()
