"""Sample exports of the demo data for the README: a city snapshot as CSV, XLSX, PDF and PNG (the map), and
the PDF's pages rendered as PNG (pypdfium2, offline), with the time each step took.

    python -m tools.sample_exports [--out docs/exports] [--scale 0.05] [--from 2025-10-01 --to 2025-10-31]
    python -m tools.sample_exports --database-url sqlite:///var/ioc.db   # from an existing store instead

Without --database-url, a demo store is seeded in a temporary folder first (the calibrated generator at
`--scale`, from a month before the period to the day after it).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path


def _seed(url: str, scale: float, start: date, end: date) -> None:
    from ingest import pipeline
    from ingest.sources import SourceConfig
    from metrics.time import TZ
    from store.db import engine_for
    from store.migrate import upgrade

    upgrade(url)
    source = SourceConfig(name="demo", kind="demo", every=timedelta(minutes=1), stale_after=timedelta(minutes=3),
                          options={"scale": scale, "start": (start - timedelta(days=30)).isoformat()})
    until = datetime.combine(end + timedelta(days=1), clock(12), tzinfo=TZ)
    result = pipeline.pull(engine_for(url), source, until=until)
    print(f"seeded {result.rows_stored:,} rows in {result.seconds:.1f} s ({result.status})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/exports")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--scope", default="city")
    parser.add_argument("--from", dest="start", default="2025-10-01")
    parser.add_argument("--to", dest="end", default="2025-10-31")
    args = parser.parse_args()
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        if not args.database_url:
            _seed(url, args.scale, start, end)
        _export(url, args.scope, start, end, out)


def _export(url: str, scope_text: str, start: date, end: date, out: Path) -> None:
    import pypdfium2

    from exports.png import warm_up
    from snapshots import store
    from snapshots.scope import parse_scope
    from store.db import engine_for

    engine = engine_for(url)
    began = time.perf_counter()
    info = store.create(engine, parse_scope(engine, scope_text), start, end)
    print(f"snapshot {info.id}: {time.perf_counter() - began:.2f} s")
    warm_up()
    stem = f"snapshot_{info.scope_key.replace(':', '-')}_{start:%Y%m}"
    for fmt in ("csv", "xlsx", "png", "pdf"):
        began = time.perf_counter()
        content, digest = store.file(engine, info.id, fmt)
        (out / f"{stem}.{fmt}").write_bytes(content)
        print(f"{stem}.{fmt}: {len(content):,} bytes in {time.perf_counter() - began:.2f} s, sha256 {digest[:16]}…")
    pdf = pypdfium2.PdfDocument(str(out / f"{stem}.pdf"))
    for i in range(len(pdf)):
        path = out / f"{stem}_page{i + 1}.png"
        pdf[i].render(scale=1.4).to_pil().save(path, optimize=True)
        print(f"{path.name}: page {i + 1} of {len(pdf)}")
    pdf.close()


if __name__ == "__main__":
    main()
