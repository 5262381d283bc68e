"""The demo feed through the real pipeline: idempotent pulls, status changes over time, the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, update

from ingest import pipeline
from store.schema import document_counts, dossier_daily, dossiers, source_states, tickets
from tests.conftest import at, demo_source

ROOT = Path(__file__).resolve().parents[1]


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {
            "dossiers": conn.execute(select(func.count()).select_from(dossiers)).scalar_one(),
            "completed": conn.execute(select(func.count()).select_from(dossiers)
                                      .where(dossiers.c.completed_at.is_not(None))).scalar_one(),
            "tickets": conn.execute(select(func.count()).select_from(tickets)).scalar_one(),
            "documents": conn.execute(select(func.count()).select_from(document_counts)).scalar_one(),
            "rollup_received": conn.execute(select(func.sum(dossier_daily.c.received))).scalar_one(),
        }


def test_same_demo_pull_twice_stores_the_same_counts(engine):
    source = demo_source(scale=0.02, start="2025-09-01")
    until = at("2025-09-15 12:00")
    first = pipeline.pull(engine, source, until=until)
    before = counts(engine)
    with engine.begin() as conn:  # forget the watermark: the next pull is the same backfill again
        conn.execute(update(source_states).values(watermark=None))
    again = pipeline.pull(engine, source, until=until)
    assert first.status == again.status == "ok" and first.rows_quarantined == 0
    assert again.rows_read == first.rows_read and again.rows_stored == 0
    assert counts(engine) == before
    assert before["dossiers"] == before["rollup_received"] > 1000 and before["tickets"] > 0
    assert before["documents"] == 14 * 183 * 2  # closed days × (168 communes + 15 departments) × directions


def test_a_later_pull_brings_status_changes_without_duplicates(engine):
    source = demo_source(scale=0.02, start="2025-09-01")
    pipeline.pull(engine, source, until=at("2025-09-10 09:00"))
    early = counts(engine)
    later = pipeline.pull(engine, source, until=at("2025-09-12 18:00"))
    now = counts(engine)
    assert later.status == "ok" and later.rows_stored > 0
    assert now["completed"] > early["completed"]          # dossiers open at 9:00 on 10/9 have ended since
    assert now["dossiers"] == now["rollup_received"]      # every dossier once, the rollups in step
    with engine.connect() as conn:
        duplicates = conn.execute(select(dossiers.c.dossier_id).group_by(dossiers.c.source, dossiers.c.dossier_id)
                                  .having(func.count() > 1)).all()
    assert duplicates == []


def test_cli_seed_and_sources_json(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text("sources:\n  - {name: demo, kind: demo, every: 1m, scale: 0.01}\n", encoding="utf-8")
    env["IOC_SOURCES"] = str(sources_file)
    run = lambda *args: subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=600)
    assert run("db", "upgrade").returncode == 0
    seeded = run("demo", "seed", "--days", "3")
    assert seeded.returncode == 0, seeded.stderr
    assert "seeding demo" in seeded.stderr and "100%" in seeded.stderr  # the progress bar
    assert "already seeded" in run("demo", "seed", "--if-empty").stdout
    listed = run("sources", "--json")
    assert listed.returncode == 0, listed.stderr
    (demo,) = json.loads(listed.stdout)
    assert demo["name"] == "demo" and demo["last_run"]["status"] == "ok" and not demo["stale"]
    assert demo["rows_stored"] > 0 and demo["rows_quarantined"] == 0
    unknown = run("ingest", "--source", "nope", "--once")
    assert unknown.returncode != 0 and "no source 'nope'" in unknown.stderr
