"""What the store says about sources: `cli.py sources` (table and JSON) and the dashboard's /sources page."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from app import create_app
from config import ROOT
from ingest import pipeline
from tests.conftest import at, demo_source, signed_in_client, test_settings
from tests.records import dossier, given, ticket
from tests.test_app import route, walk

UNTIL = at("2025-07-10 00:00")


def _load(engine):
    rows = [dossier("D1"), dossier("D2", unit_code="bad code"), ticket("T1", unit=None, lat=21.03, long=105.85)]
    source = given([("dossier", rows[:2]), ("ticket", rows[2:])])
    pipeline.pull(engine, source, until=UNTIL)
    return source


def test_sources_page_lists_each_source_and_a_quarantine_sample(engine, db_url, tmp_path):
    _load(engine)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: upstream, kind: given_rows, every: 5m}\n  - {name: late, kind: demo, "
                       "every: 1m}\n", encoding="utf-8")
    app = create_app(test_settings(db_url, IOC_SOURCES=str(sources)))
    client = signed_in_client(app, engine)
    page = route(client, "/sources", "?lang=en")
    nodes = list(walk(page))
    rows = {n["props"]["data-source"]: n for n in nodes if "data-source" in n.get("props", {})}
    assert set(rows) == {"upstream", "late"}
    upstream = [c["props"]["children"] for c in walk(rows["upstream"]) if c.get("type") == "Td"]
    assert upstream[1] == "given_rows" and upstream[6:9] == ["2", "1", "1"]  # stored, quarantined, unassigned
    sample = next(n for n in nodes if n.get("props", {}).get("id") == "quarantine-sample")
    cells = [c["props"]["children"] for c in walk(sample) if c.get("type") == "Td"]
    assert "upstream" in cells and any("unit_code" in str(c) for c in cells)
    links = [n["props"]["href"] for n in nodes if n.get("props", {}).get("id") == "nav-sources"]
    assert links == ["/sources?lang=en"]
    assert any("Data sources" == n["props"].get("children") for n in nodes if n.get("type") == "H1")


def test_cli_sources_table_and_json(sqlite_url, tmp_path):
    from store.db import engine_for

    engine = engine_for(sqlite_url)
    pipeline.pull(engine, demo_source(start="2025-07-08"), until=UNTIL)
    env = {"DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), "sources", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    out = json.loads(run("--json").stdout)
    assert [s["name"] for s in out] == ["demo"] and out[0]["rows_stored"] > 0
    assert out[0]["next_run_at"] and out[0]["unassigned_tickets"] == 0 and out[0]["lag_seconds"] is not None
    table = run().stdout.splitlines()
    assert table[0].split()[:3] == ["source", "kind", "every"] and table[1].startswith("demo")
    assert f"{out[0]['rows_stored']:,}" in table[1]
    assert timedelta(seconds=out[0]["every_seconds"]) == timedelta(minutes=1)
