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

from metrics import score766
from metrics.frame import CITY, data_version, kpi_frame
from metrics.kpis import CATALOGUE
from snapshots import store
from snapshots.build import targets_version
from snapshots.scope import ScopeError, check_id, new_id, parse_period, parse_scope
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
    assert payload["score766"]["total"] == score766.score(frame.loc[[CITY]]).iloc[0]["total"]
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


def test_new_ids_are_never_read_as_a_command_line_option():
    # One id in 64 began with "-" (secrets.token_urlsafe), and `cli.py snapshot export ID` took it for an option.
    ids = [new_id() for _ in range(5000)]
    assert all(check_id(i) == i and i[0] != "-" for i in ids)
    assert len(set(ids)) == len(ids)
    check_id("-eukNSg7vQ_l")  # made before: still a valid id


def test_an_older_dash_id_is_exported_after_double_dash(seeded_url, tmp_path, monkeypatch):  # noqa: F811
    # As the README says: `cli.py snapshot export --format csv --out F -- -eukNSg7vQml`.
    monkeypatch.setattr(store, "new_id", lambda: "-eukNSg7vQml")
    engine = engine_for(seeded_url)
    made = store.create(engine, parse_scope(engine, f"commune:{COMMUNE}"), *PERIOD)
    assert made.id == "-eukNSg7vQml"
    out = tmp_path / "report.csv"
    exported = subprocess.run([sys.executable, "cli.py", "snapshot", "export", "--format", "csv", "--out", str(out),
                               "--", made.id], cwd=ROOT, env={**os.environ, "DATABASE_URL": seeded_url},
                              capture_output=True, text=True, timeout=600)
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes() == store.file(engine, made.id, "csv")[0]


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


# ---- scheduled snapshots: the schedule file, the jobs the worker registers, runs and retention, without waiting


def test_the_shipped_schedule_means_monday_seven_oclock_and_the_week_before():
    from datetime import date, datetime, timezone

    from snapshots.schedule import load_schedules, next_runs

    city, communes = load_schedules(ROOT / "snapshots.yaml")
    assert (city.name, city.scope, communes.scope) == ("weekly-city", "city", "communes")
    runs = next_runs(city, datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc))  # a Wednesday
    assert [r.isoformat() for r in runs] == ["2026-11-30T07:00:00+07:00", "2026-12-07T07:00:00+07:00",
                                             "2026-12-14T07:00:00+07:00"]
    assert city.period_for(date(2026, 11, 30)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert city.keep.days == 84 and communes.keep.days == 56 and set(city.formats) == {"pdf", "xlsx", "csv"}


@pytest.mark.parametrize("entry, complaint", [
    ("{name: x, scope: city, period: previous_week, at: {hour: 7}, keep: 0w}", "keep"),
    ("{name: x, scope: city, period: fortnight, at: {hour: 7}, keep: 2w}", "period"),
    ("{name: x, scope: '../etc', period: previous_week, at: {hour: 7}, keep: 2w}", "scope"),
    ("{name: x, scope: city, period: previous_week, at: {hour: 25}, keep: 2w}", "at .*hour.*higher than the maximum"),
    ("{name: x, scope: city, period: previous_week, at: {second: 1}, keep: 2w}", "at takes"),
    ("{name: X Y, scope: city, period: previous_week, at: {hour: 7}, keep: 2w}", "name"),
    ("{name: x, scope: city, period: previous_week, at: {hour: 7}, keep: 2w, formats: [doc]}", "formats"),
])
def test_schedule_mistakes_are_named_at_load(tmp_path, entry, complaint):
    from snapshots.schedule import load_schedules

    path = tmp_path / "s.yaml"
    path.write_text(f"schedules:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_schedules(path)


def test_the_worker_registers_one_cron_job_per_schedule(tmp_path, monkeypatch):
    from config import Settings
    from ingest.scheduler import build_scheduler

    monkeypatch.setenv("IOC_SNAPSHOTS", str(ROOT / "snapshots.yaml"))
    scheduler = build_scheduler(Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}), blocking=False)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert {"snapshot:weekly-city", "snapshot:weekly-communes"} <= set(jobs)
    assert "day_of_week='mon'" in str(jobs["snapshot:weekly-city"].trigger)
    assert "hour='7'" in str(jobs["snapshot:weekly-city"].trigger)


def test_a_scheduled_run_makes_snapshots_and_deletes_those_past_retention(seeded_url, tmp_path):  # noqa: F811
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from snapshots.schedule import load_schedules, run

    path = tmp_path / "s.yaml"
    path.write_text("schedules:\n"
                    "  - {name: weekly-city, scope: city, period: previous_week, at: {day_of_week: mon, hour: 7},"
                    " formats: [json], keep: 2w}\n"
                    "  - {name: weekly-departments, scope: departments, period: previous_week,"
                    " at: {day_of_week: mon, hour: 7}, keep: 2w}\n", encoding="utf-8")
    city, departments = load_schedules(path)
    engine = engine_for(seeded_url)
    monday = datetime(2025, 9, 8, 0, 0, tzinfo=timezone.utc)  # 07:00 in Ho Chi Minh City
    made, deleted = run(engine, city, at=monday)
    assert deleted == 0 and len(made) == 1 and (made[0].period_start, made[0].period_end) == PERIOD
    assert made[0].schedule == "weekly-city" and set(store.rendered_formats(engine, made[0].id)) == {"json"}
    made_departments, _ = run(engine, departments, at=monday)
    assert len(made_departments) == 15 and all(s.scope_kind == "department" for s in made_departments)
    manual = store.create(engine, parse_scope(engine, "city"), *PERIOD)  # no schedule: never deleted by one
    with engine.begin() as conn:  # the first city snapshot and the manual one were made three weeks ago
        conn.execute(update(snapshots).where(snapshots.c.id.in_([made[0].id, manual.id]))
                     .values(created_at=monday - timedelta(weeks=3)))
    again, deleted = run(engine, city, at=monday)
    assert deleted == 1 and len(again) == 1
    left = {s.id for s in store.listing(engine)}
    assert made[0].id not in left and {again[0].id, manual.id} <= left and len(left) == 17
