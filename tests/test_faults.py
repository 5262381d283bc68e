"""The fault matrix: a real HTTP server on 127.0.0.1 misbehaves, and after each fault the store's counts
equal the source's, nothing is duplicated, and the quarantine holds exactly the bad rows with reasons."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from config import ROOT
from ingest import pipeline
from ingest.sources import SourceConfig
from store.db import engine_for
from store.schema import dossiers, ingest_runs, quarantine, source_states, tickets
from store.status import source_status
from tests.conftest import at
from tests.fault_server import FaultServer, portal_dossier, service_request
from tests.records import assert_held_exact

UNTIL = at("2025-07-10 00:00")
N, PAGE = 120, 25  # five pages
PII = ("Nguyễn Văn An", "0903123456", "an.nguyen@example.vn", "079201001234", "Trần Văn Bình", "0912345678")


def portal(server: FaultServer, name: str = "portal", **options) -> SourceConfig:
    return SourceConfig(name, "dossier_api", timedelta(minutes=5), timedelta(minutes=15), {
        "url": server.url + "/portal/dossiers", "page_size": PAGE, "retries": 3, "backoff": 0.01,
        "max_backoff": 0.05, "timeout": 0.5, "start": "2025-06-30", **options})


def records(n: int = N) -> list[dict]:
    return [portal_dossier(i, updated=f"202507051{i // 60}{i % 60:02d}00") for i in range(1, n + 1)]


def store_state(engine) -> dict:
    with engine.connect() as conn:
        total, distinct = conn.execute(select(func.count(), func.count(dossiers.c.dossier_id.distinct()))).one()
        held = conn.execute(select(quarantine.c.raw, quarantine.c.reason).order_by(quarantine.c.id)).all()
    return {"stored": total, "distinct": distinct,
            "quarantined": {json.loads(raw).get("dossier_id"): reason for raw, reason in held}}


@pytest.mark.parametrize("faults", [("500", "500"), ("timeout",), ("drop",), ("malformed",), ("500", "drop",
                                                                                               "malformed")],
                         ids=["500-twice", "timeout", "dropped-mid-page", "malformed-json", "three-in-a-row"])
def test_transient_faults_are_retried_and_nothing_is_lost(engine, faults):
    with FaultServer(records()) as server:
        server.timeout_delay = 1.0
        server.inject("ok", *faults)  # the first page is fine, the second fails len(faults) times
        result = pipeline.pull(engine, portal(server), until=UNTIL)
        assert result.status == "ok", result.error
        assert len(server.requests) == N // PAGE + 1 + len(faults)
    assert store_state(engine) == {"stored": N, "distinct": N, "quarantined": {}}
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (N, N, 0)
    assert assert_held_exact(engine) == {"portal": (N, 0)}


def test_a_fault_past_the_retries_fails_the_pull_keeps_what_committed_and_the_next_pull_completes(engine):
    with FaultServer(records()) as server:
        source = portal(server)
        server.inject("ok", "ok", *["500"] * 4)  # page 3 fails on every attempt (1 + 3 retries)
        failed = pipeline.pull(engine, source, until=UNTIL)
        assert failed.status == "failed" and "HTTP 500" in failed.error
        assert store_state(engine)["stored"] == 2 * PAGE  # the committed pages stay
        assert assert_held_exact(engine) == {"portal": (2 * PAGE, 0)}  # and only they are counted
        with engine.connect() as conn:
            assert conn.execute(select(source_states.c.watermark)).scalar_one() is None  # the window is redone
        status = source_status(engine, [source], at=UNTIL)[0]
        assert status["last_error"] and status["last_success_at"] is None
        again = pipeline.pull(engine, source, until=UNTIL)
        assert again.status == "ok"
    assert store_state(engine) == {"stored": N, "distinct": N, "quarantined": {}}
    assert again.rows_stored == N - 2 * PAGE  # the pages already held were not written again
    assert assert_held_exact(engine) == {"portal": (N, 0)}


def test_authentication_failure_is_not_retried(engine, monkeypatch):
    with FaultServer(records(10)) as server:
        server.token = "s3cret"
        monkeypatch.setenv("PORTAL_TOKEN", "wrong")
        auth = {"type": "bearer", "token_env": "PORTAL_TOKEN"}
        result = pipeline.pull(engine, portal(server, auth=auth), until=UNTIL)
        assert result.status == "failed" and "AuthenticationError" in result.error and "401" in result.error
        assert len(server.requests) == 1  # no retry
        monkeypatch.setenv("PORTAL_TOKEN", "s3cret")
        assert pipeline.pull(engine, portal(server, auth=auth), until=UNTIL).status == "ok"
    assert store_state(engine)["stored"] == 10


def test_wrong_types_and_missing_fields_go_to_quarantine_with_their_reasons(engine):
    bad = {
        "H00010": {"NgayTiepNhan": 12345},                         # not a time
        "H00011": {"KenhThucHien": "fax"},                          # not a channel
        "H00012": {"SoLanBoSung": "nhiều"},                         # not a number
        "H00020": {"NgayHenTra": None},                             # missing
        "H00021": {"MaDonVi": ""},                                  # missing
        "H00030": {"TrangThaiHoSo": 99},                            # unknown status code
        "H00031": {"TrangThaiHoSo": 9},                             # processed, without an end time
    }
    served = [portal_dossier(i, **bad.get(f"H{i:05d}", {})) for i in range(1, N + 1)]
    with FaultServer(served) as server:
        result = pipeline.pull(engine, portal(server), until=UNTIL)
    state = store_state(engine)
    assert result.status == "ok"
    assert (state["stored"], state["distinct"], set(state["quarantined"])) == (N - len(bad), N - len(bad), set(bad))
    reasons = state["quarantined"]
    assert reasons["H00010"].startswith("received_at:") and reasons["H00011"].startswith("channel:")
    assert reasons["H00012"].startswith("supplement_requests:") and "due_at: Field required" in reasons["H00020"]
    assert "unit_code: Field required" in reasons["H00021"] and "TrangThaiHoSo=99" in reasons["H00030"]
    assert "without completed_at" in reasons["H00031"]
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (N, N - len(bad), len(bad))


def test_duplicates_and_out_of_order_versions_keep_the_newest(engine):
    older = portal_dossier(1, updated="20250705080000")
    newer = portal_dossier(1, updated="20250706090000", TrangThaiHoSo=9, NgayKetThucXuLy="20250706090000")
    served = [older, newer, newer] + [portal_dossier(i) for i in range(2, 30)]  # the same version twice too
    with FaultServer(served) as server:
        assert pipeline.pull(engine, portal(server), until=UNTIL).status == "ok"
        server.portal = [older]  # a late re-delivery of the old version
        replay = pipeline.pull(engine, portal(server), until=UNTIL, replay_from=at("2025-06-30 00:00"))
        assert (replay.status, replay.rows_read, replay.rows_stored) == ("ok", 1, 0)
    with engine.connect() as conn:
        status = conn.execute(select(dossiers.c.status).where(dossiers.c.dossier_id == "H00001")).scalar_one()
    assert status == "completed"
    assert store_state(engine) == {"stored": 29, "distinct": 29, "quarantined": {}}
    assert assert_held_exact(engine) == {"portal": (29, 0)}


def test_schema_drift_quarantines_the_drifted_rows_and_a_fixed_mapping_replays_them(engine):
    def drifted(r):
        r = dict(r)
        r["NgayNhanHoSo"] = r.pop("NgayTiepNhan")
        return r

    served = [r if i <= 60 else drifted(r) for i, r in enumerate(records(), start=1)]
    with FaultServer(served) as server:
        pipeline.pull(engine, portal(server), until=UNTIL)
        state = store_state(engine)
        assert (state["stored"], len(state["quarantined"])) == (60, 60)
        assert set(state["quarantined"]) == {f"H{i:05d}" for i in range(61, N + 1)}
        assert all(r == "received_at: Field required" for r in state["quarantined"].values())
        # The mapping follows the rename; the rows since the drift began are read again.
        fixed = portal(server, fields={"received_at": "NgayNhanHoSo"}, overlap=0)
        replay = pipeline.pull(engine, fixed, until=UNTIL, replay_from=at("2025-07-05 11:00"))
        assert (replay.status, replay.rows_read, replay.rows_stored, replay.rows_quarantined) == ("ok", 60, 60, 0)
    state = store_state(engine)
    assert (state["stored"], state["distinct"], len(state["quarantined"])) == (N, N, 60)
    assert assert_held_exact(engine) == {"portal": (N, 0)}


def test_personal_data_is_never_stored_even_inside_free_text(engine):
    served = [portal_dossier(i) for i in range(1, 6)]
    served[0]["TenTTHC"] = "Cấp bản sao trích lục (ông Nguyễn Văn An, 0903123456, an.nguyen@example.vn)"
    served[1]["NgayHenTra"] = "không rõ"  # quarantined: the raw payload is kept, scrubbed
    served[1]["TenLinhVuc"] = "Hộ tịch — CCCD 079201001234"
    with FaultServer(served) as server:
        assert pipeline.pull(engine, portal(server), until=UNTIL).status == "ok"
    with engine.connect() as conn:
        everything = json.dumps([list(map(str, r)) for t in ("dossiers", "quarantine")
                                 for r in conn.execute(text(f"SELECT * FROM {t}"))], ensure_ascii=False)
        name = conn.execute(select(dossiers.c.procedure_name).where(dossiers.c.dossier_id == "H00001")).scalar_one()
    assert not [p for p in PII if p in everything]
    assert name.startswith("Cấp bản sao trích lục (") and "[đã ẩn]" in name
    assert store_state(engine)["stored"] == 4 and len(store_state(engine)["quarantined"]) == 1


def test_open311_ids_as_numbers_or_strings_windows_within_limits_and_an_unassigned_bucket(engine):
    served = [service_request(i if i % 2 else str(i), requested=f"2025-07-02T{8 + i // 10:02d}:{i % 10:02d}:00+07:00")
              for i in range(1, 36)]
    served[0]["status"], served[0]["updated_datetime"] = "closed", "2025-07-03T10:00:00+07:00"
    served[1].update(lat=21.0285, long=105.8542)    # Hà Nội: outside the city
    served[2].update(lat="10.7769", long="106.7009")  # numbers as strings
    served[3].update(lat=None, long=None)           # no place at all: quarantined
    served.append(service_request("1", requested="2025-07-02T07:00:00+07:00"))  # the same id as the number 1
    with FaultServer(open311=served, max_records=10) as server:
        source = SourceConfig("hotline", "open311", timedelta(minutes=5), timedelta(minutes=15), {
            "url": server.url + "/open311/v2", "start": "2025-01-01", "max_records": 10, "retries": 1,
            "backoff": 0.01})
        result = pipeline.pull(engine, source, until=UNTIL)
        assert result.status == "ok", result.error
        queried = [r for r in server.requests if "requests.json" in r]
    assert len(queried) > 3  # 90-day windows (the server refuses more) and full windows split in halves
    with engine.connect() as conn:
        held = {r.ticket_id: r for r in conn.execute(select(tickets))}
        reasons = conn.execute(select(quarantine.c.reason)).scalars().all()
    assert set(held) == {str(i) for i in range(1, 36)} - {"4"}
    assert held["1"].status == "closed" and held["2"].unit_code is None and held["3"].unit_code is not None
    assert held["5"].unit_code == held["3"].unit_code  # the same point: the same commune
    assert reasons == ["row: Value error, neither unit_code nor lat/long"]
    status = source_status(engine, [source], at=UNTIL)[0]
    assert (status["unassigned_tickets"], status["rows_quarantined"], status["rows_stored"]) == (1, 1, 34)
    assert assert_held_exact(engine) == {"hotline": (34, 1)}


def test_a_worker_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(db_url, tmp_path):
    n = 400
    with FaultServer(records(n)) as server:
        server.delay = 0.15  # slow pages, so the kill lands mid-pull
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n  - name: portal\n    kind: dossier_api\n    every: 1h\n"
            f"    url: {server.url}/portal/dossiers\n    page_size: 20\n    start: 2025-06-30\n    backoff: 0.01\n")
        env = {**os.environ, "DATABASE_URL": db_url, "IOC_SOURCES": str(sources)}
        first = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest", "--source", "portal", "--once"],
                                 env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        engine = engine_for(db_url)
        deadline = time.monotonic() + 60
        while store_state(engine)["stored"] < 60 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = store_state(engine)["stored"]
        assert 60 <= killed_at < n, "the kill must land mid-pull"
        worker = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    if conn.execute(select(source_states.c.last_success_at)).scalar():
                        break
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert store_state(engine) == {"stored": n, "distinct": n, "quarantined": {}}
    with engine.connect() as conn:
        runs = conn.execute(select(ingest_runs.c.status, ingest_runs.c.error).order_by(ingest_runs.c.id)).all()
    assert [r.status for r in runs] == ["failed", "ok"] and "interrupted" in runs[0].error
    assert assert_held_exact(engine) == {"portal": (n, 0)}  # the killed batch's count went with its records


@pytest.mark.parametrize("moved", [1, PAGE + 3], ids=["one-record", "more-than-a-page"])
def test_records_updated_upstream_during_a_pull_skip_nothing(engine, moved):
    """Records leave the window while it is paged (updated after its end): the rest move up, and the
    pull steps back to read them instead of skipping the first records of the next pages."""
    served = records()
    with FaultServer(served) as server:
        def update_upstream(page: int) -> None:
            if page == 3 and served[0]["NgayCapNhat"] < "2025071":
                for record in served[:moved]:  # on pages 1–2, already read: now changed after UNTIL
                    record.update(NgayCapNhat="20250710080000", TrangThaiHoSo=9, NgayKetThucXuLy="20250710080000")

        server.on_page = update_upstream
        result = pipeline.pull(engine, portal(server), until=UNTIL)
        assert result.status == "ok", result.error
        assert store_state(engine) == {"stored": N, "distinct": N, "quarantined": {}}
        # The next pull brings the new versions.
        assert pipeline.pull(engine, portal(server), until=at("2025-07-11 00:00")).status == "ok"
    with engine.connect() as conn:
        completed = conn.execute(select(func.count()).where(dossiers.c.status == "completed")).scalar_one()
    assert completed == moved
    assert assert_held_exact(engine) == {"portal": (N, 0)}
