"""Snapshots: frozen from the KPI layer with their provenance, downloaded again byte for byte after new
data arrives (SQLite and PostgreSQL), crafted scopes and ids refused, the command line."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from metrics.frame import CITY, data_version, kpi_frame
from metrics.kpis import CATALOGUE
from snapshots import store
from snapshots.build import targets_version
from snapshots.scope import ScopeError, check_id, parse_period, parse_scope
from store.db import engine_for
from store.schema import snapshot_files, snapshots
from tests.snapshot_store import COMMUNE, PERIOD, new_data, seed, seeded_file, seeded_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def test_a_snapshot_freezes_the_kpi_layer_with_its_provenance(seeded_url):  # noqa: F811
    engine = engine_for(seeded_url)
    info = store.create(engine, parse_scope(engine, "city"), *PERIOD, created_by=None)
    frame = kpi_frame(engine, *PERIOD)
    payload = store.payload(engine, info.id)
    assert info.data_version == payload["data_version"] == data_version(engine)
    assert info.targets_version == payload["targets_version"] == targets_version() and len(info.targets_version) == 64
    assert info.demo and payload["demo"] and info.created_by is None
    assert (info.period_start, info.period_end) == PERIOD and info.scope_key == "city"
    values = {k["id"]: k["value"] for k in payload["kpis"]}
    assert set(values) == set(CATALOGUE)
    for kpi_id, value in values.items():
        expected = frame.at[CITY, kpi_id]
        assert value is None if expected != expected else value == expected
    assert payload["map"]["values"][COMMUNE] == frame.at[COMMUNE, "on_time_rate"]
    assert [t["id"] for t in payload["targets"]][:2] == ["P02-1", "P02-2"]
    assert payload["score766"]["measurable_points"] == 62
    assert [s.id for s in store.listing(engine)] == [info.id]


def test_download_after_new_data_is_byte_for_byte_identical(db_url):
    seed(db_url)
    engine = engine_for(db_url)
    scope = parse_scope(engine, f"commune:{COMMUNE}")
    info = store.create(engine, scope, *PERIOD, formats=("csv", "xlsx"))
    first = {fmt: store.file(engine, info.id, fmt) for fmt in ("csv", "xlsx", "json")}
    before = kpi_frame(engine, *PERIOD).at[COMMUNE, "dossiers_received"]

    new_data(db_url)  # 40 late dossiers received in the snapshot's period
    after = kpi_frame(engine, *PERIOD).at[COMMUNE, "dossiers_received"]
    assert after == before + 40 and data_version(engine) > info.data_version

    for fmt, (content, digest) in first.items():
        assert store.file(engine, info.id, fmt) == (content, digest)
    wb = load_workbook(io.BytesIO(first["xlsx"][0]))
    cells = {r[0].value: r[2].value for r in wb["Chỉ số"].iter_rows(min_row=3)}
    assert cells["dossiers_received"] == before  # the file says what was true when it was made
    fresh = store.create(engine, scope, *PERIOD)  # a new snapshot sees the new data
    assert {k["id"]: k["value"] for k in store.payload(engine, fresh.id)["kpis"]}["dossiers_received"] == after
    assert store.file(engine, fresh.id, "csv")[1] != first["csv"][1]


@pytest.mark.parametrize("text", ["../etc/passwd", "commune:../../x", "commune:99999", "department:26506",
                                  "commune:26506' OR '1'='1", "department:'; DROP TABLE snapshots; --",
                                  "district:1", "commune:", "city:26506", "commune:26506/../26507", "%2e%2e"])
def test_crafted_scopes_are_refused(seeded_url, text):  # noqa: F811
    with pytest.raises(ScopeError):
        parse_scope(engine_for(seeded_url), text)


@pytest.mark.parametrize("snapshot_id", ["../../etc/passwd", "abc", "a" * 13, "abcdefghij.k", "abcdef ghijk",
                                         "'; DROP TABLE--", "abcdefghijk/", "", "abcdefghij\nk"])
def test_crafted_ids_are_refused_before_any_read(seeded_url, snapshot_id):  # noqa: F811
    engine = engine_for(seeded_url)
    with pytest.raises(ScopeError):
        check_id(snapshot_id)
    with pytest.raises(ScopeError):
        store.file(engine, snapshot_id, "csv")
    with pytest.raises(ScopeError):
        store.get(engine, snapshot_id)


def test_scopes_periods_and_unknown_ids(seeded_url):  # noqa: F811
    engine = engine_for(seeded_url)
    assert parse_scope(engine, "city").unit == CITY
    assert parse_scope(engine, COMMUNE).key == parse_scope(engine, f"commune:{COMMUNE}").key == f"commune:{COMMUNE}"
    department = parse_scope(engine, "department:VP-UBND")
    assert department.kind == "department" and department.name_vi.startswith("Văn phòng")
    for start, end in (("2025-09-07", "2025-09-01"), ("2025-9-1", "2025-09-07"), ("x", "y"), ("2020-01-01", "2026-11-01")):
        with pytest.raises(ScopeError):
            parse_period(start, end)
    with pytest.raises(store.SnapshotNotFound):
        store.file(engine, "A" * 12, "csv")


def test_a_file_is_rendered_once_and_deleted_with_its_snapshot(seeded_url):  # noqa: F811
    from datetime import timedelta

    from metrics.time import now

    engine = engine_for(seeded_url)
    info = store.create(engine, parse_scope(engine, "city"), *PERIOD, schedule="weekly-city", formats=("json",))
    assert set(store.rendered_formats(engine, info.id)) == {"json"}
    store.file(engine, info.id, "csv")
    assert set(store.rendered_formats(engine, info.id)) == {"json", "csv"}
    assert store.delete_before(engine, "other-schedule", now() + timedelta(days=1)) == 0
    assert store.delete_before(engine, "weekly-city", info.created_at) == 0  # not older than itself
    assert store.delete_before(engine, "weekly-city", now() + timedelta(days=1)) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(snapshots)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(snapshot_files)).scalar_one() == 0


def test_cli_create_list_export(seeded_url, tmp_path):  # noqa: F811
    env = {**os.environ, "DATABASE_URL": seeded_url}
    run = lambda *args: subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=600)
    made = run("snapshot", "create", "--scope", f"commune:{COMMUNE}", "--from", "2025-09-01", "--to", "2025-09-07",
               "--format", "csv")
    assert made.returncode == 0, made.stderr
    assert "snapshot commune:26506" in made.stderr and "100%" in made.stderr  # the progress bar
    info = json.loads(made.stdout)
    assert info["scope"] == f"commune:{COMMUNE}" and info["demo"] is True
    listed = run("snapshot", "list", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [info["id"]]
    out = tmp_path / "report.csv"
    exported = run("snapshot", "export", info["id"], "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes() == store.file(engine_for(seeded_url), info["id"], "csv")[0]
    assert run("snapshot", "create", "--scope", "commune:../x", "--from", "2025-09-01", "--to",
               "2025-09-07").returncode != 0
    refused = run("snapshot", "export", "../../etc/passwd", "--format", "csv", "--out", str(tmp_path / "x"))
    assert refused.returncode != 0 and "malformed snapshot id" in refused.stderr
    assert run("snapshot", "export", "B" * 12, "--format", "csv", "--out", "-").returncode != 0
