"""Time the drill-down's reads and pages on an existing store (figures, not a test).

    python bench/breakdown.py --db sqlite:////path/ioc.db [--runs 7] [--communes 5]

Without their caches, for the last 30 days and since 1 July 2025, for the busiest communes: the sector
breakdown (dossier_daily) and the read of the commune's dossiers by procedure and day (dossiers) that the
procedure tables and charts are cut from;
then the router's render of each new page (first: caches cold for the page's own reads; then: warm).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import text  # noqa: E402

from metrics import breakdown  # noqa: E402
from store.db import engine_for  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float]:
    """(median, best) milliseconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--communes", type=int, default=5)
    args = parser.parse_args()
    engine = engine_for(args.db)
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM dossiers")).scalar()
        newest = conn.execute(text("SELECT MAX(received_day) FROM dossiers")).scalar()
        busiest = [r[0] for r in conn.execute(text(
            "SELECT unit_code FROM dossier_unit_daily WHERE unit_code IN (SELECT code FROM communes) "
            "GROUP BY unit_code ORDER BY SUM(received) DESC LIMIT :n"),
            {"n": args.communes})]
    newest = date.fromisoformat(newest) if isinstance(newest, str) else newest
    print(f"store: {total:,} dossiers, newest {newest}; load {os.getloadavg()[0]:.2f}")
    for label, start in (("30 days", newest - timedelta(days=29)), ("since 1/7/2025", date(2025, 7, 1))):
        sectors = [timed(lambda c=c: breakdown._sectors.__wrapped__(url, -1, c, start, newest), args.runs)
                   for c in busiest]
        print(f"{label:>15} sectors of one commune (dossier_daily): median "
              f"{statistics.median(m for m, _ in sectors):8.1f} ms (best {min(b for _, b in sectors):.1f}), "
              f"{len(busiest)} communes")
        procedures = [timed(lambda c=c: breakdown._procedure_days.__wrapped__(url, -1, c, start, newest), args.runs)
                      for c in busiest]
        print(f"{label:>15} procedures × days of one commune (dossiers): median "
              f"{statistics.median(m for m, _ in procedures):8.1f} ms (best {min(b for _, b in procedures):.1f})")
    pages(args.db, busiest[0], newest, args.runs)
    print(f"load {os.getloadavg()[0]:.2f}")


def pages(db: str, code: str, newest: date, runs: int) -> None:
    from app import create_app
    from config import Settings

    app = create_app(Settings.from_env({"DATABASE_URL": db}))
    client = app.server.test_client()
    search = f"?period=custom&from={newest - timedelta(days=29)}&to={newest}&cmp=prev"
    for path in (f"/commune/{code}", f"/commune/{code}/sector/ho-tich", f"/commune/{code}/sector/ho-tich/procedure/X.HT.01",
                 "/ranking", "/plan02", "/d766"):
        body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
                "inputs": [{"id": "url", "property": "pathname", "value": path}],
                "state": [{"id": "url", "property": "search", "value": search}], "changedPropIds": ["url.pathname"]}

        def render():
            response = client.post("/_dash-update-component", json=body)
            assert response.status_code == 200, response.data[:300]
            return len(response.data)

        t0 = time.perf_counter()
        size = render()
        first = (time.perf_counter() - t0) * 1000
        median, best = timed(render, runs)
        print(f"page {path:<52} first {first:8.1f} ms, then median {median:7.1f} ms (best {best:.1f}); "
              f"{size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
