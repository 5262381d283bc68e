"""Each connector kind ingesting from a real local server or file: the demo feed over HTTP (the same
records as the demo connector pulls in-process), dropped CSV/XLSX files, a second database."""
from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from config import ROOT
from geo.communes import communes_frame
from ingest import pipeline
from ingest.connectors import connector_for
from ingest.demo.server import DemoFeed, serving
from ingest.sources import SourceConfig
from store import rollups
from store.db import engine_for
from store.schema import document_counts, dossiers, quarantine, tickets
from tests.conftest import at, demo_source
from tests.records import assert_held_exact
from tests.test_rollup_deltas import assert_same_as_a_recompute

AS_OF = at("2025-07-12 00:00")
DOSSIER_COLUMNS = ("dossier_id", "unit_code", "procedure_code", "procedure_name", "sector", "channel",
                   "full_process_online", "received_at", "due_at", "completed_at", "status", "supplement_requests",
                   "fee_bearing", "paid_online", "e_result", "digitised", "data_reused", "accepted_late", "updated_at")
TICKET_COLUMNS = ("ticket_id", "channel", "category", "unit_code", "handling_unit", "received_at", "due_at",
                  "closed_at", "status", "reopened", "rating", "updated_at")


def entry(name: str, kind: str, **options) -> SourceConfig:
    return SourceConfig(name, kind, timedelta(minutes=5), timedelta(minutes=15), options)


@pytest.fixture(scope="module")
def demo_server():
    with serving(DemoFeed(scale=0.02, as_of=AS_OF)) as server:
        yield server


def held(engine, table, columns, source):
    with engine.connect() as conn:
        return set(conn.execute(select(*[table.c[c] for c in columns]).where(table.c.source == source)).all())


def test_real_connectors_against_the_demo_server_store_what_the_demo_connector_stores(engine, demo_server):
    """dossier_api, open311 and document_counts over HTTP land exactly the records of the in-process feed."""
    base = demo_server.url
    demo_server.feed.fixed_clock = AS_OF
    pulls = [entry("portal", "dossier_api", url=f"{base}/portal/dossiers", page_size=300),
             entry("hotline", "open311", url=f"{base}/open311/v2", max_records=50),
             entry("documents", "document_counts", url=f"{base}/documents", window_days=5),
             demo_source()]
    results = {s.name: pipeline.pull(engine, s, until=AS_OF) for s in pulls}
    assert {r.status for r in results.values()} == {"ok"}, {n: r.error for n, r in results.items()}
    assert all(r.rows_quarantined == 0 for r in results.values())
    reference = held(engine, dossiers, DOSSIER_COLUMNS, "demo")
    assert len(reference) > 1000 and held(engine, dossiers, DOSSIER_COLUMNS, "portal") == reference
    reference = held(engine, tickets, TICKET_COLUMNS, "demo")
    assert len(reference) > 20 and held(engine, tickets, TICKET_COLUMNS, "hotline") == reference
    columns = ("unit_code", "day", "direction", "total", "electronic", "digitally_signed")
    assert held(engine, document_counts, columns, "documents") == held(engine, document_counts, columns, "demo")
    # An incremental pull a day later: only what changed, and still the same records as the demo's.
    later = AS_OF + timedelta(days=1)
    demo_server.feed.fixed_clock = later
    for name in ("portal", "demo"):
        assert pipeline.pull(engine, next(s for s in pulls if s.name == name), until=later).status == "ok"
    assert held(engine, dossiers, DOSSIER_COLUMNS, "portal") == held(engine, dossiers, DOSSIER_COLUMNS, "demo")


def test_a_backfill_prepared_by_two_processes_stores_what_one_process_stores(engine, demo_server, monkeypatch):
    """Issue 3: each preparing process reads its part of the window; together exactly the records, each once.
    The slices overlap by 2 hours (every edge re-reads records): only those re-read rows are looked up before
    writing, in one batch at the end; every other batch is inserted as new."""
    demo_server.feed.fixed_clock = AS_OF
    monkeypatch.setattr(pipeline, "PREPARING_PROCESSES", 2)
    one = entry("portal-one", "dossier_api", url=f"{demo_server.url}/portal/dossiers", page_size=300,
                prepare_in_subprocess=False)
    two = entry("portal-two", "dossier_api", url=f"{demo_server.url}/portal/dossiers", page_size=300,
                prepare_in_subprocess=True, overlap="2h")
    progress = []
    first = pipeline.pull(engine, one, until=AS_OF)
    looked_up, capture = [], rollups.capture_versions
    monkeypatch.setattr(rollups, "capture_versions", lambda conn, kind, source, ids, sign: (
        looked_up.append((source, sign, len(ids))) or capture(conn, kind, source, ids, sign)))
    second = pipeline.pull(engine, two, until=AS_OF, progress=lambda share, _: progress.append(share))
    assert [sign for _, sign, _ in looked_up] == [-1, 1] and looked_up[0][2] > 0, looked_up
    assert (first.status, second.status, first.prepared_in_subprocess, second.prepared_in_subprocess) == \
        ("ok", "ok", False, True), second.error
    reference = held(engine, dossiers, DOSSIER_COLUMNS, "portal-one")
    assert len(reference) > 1000 and held(engine, dossiers, DOSSIER_COLUMNS, "portal-two") == reference
    assert second.rows_stored == first.rows_stored == len(reference) and second.rows_quarantined == 0
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert_same_as_a_recompute(engine)
    assert_held_exact(engine)


@pytest.mark.parametrize("overlap", ["0", "5m", "2h"])
def test_the_parts_of_a_window_cover_it(demo_server, overlap):
    """A record on the edge between two slices is read by one of them at least (with no overlap too); what a
    slice re-reads before its edge comes apart, marked may_repeat, and the rest holds each record once."""
    demo_server.feed.fixed_clock = AS_OF
    connector = connector_for(entry("portal", "dossier_api", url=f"{demo_server.url}/portal/dossiers",
                                    page_size=500, overlap=overlap))
    whole = [r["dossier_id"] for b in connector.pull(None, AS_OF) for r in b.rows]
    batches = [b for part in range(3) for b in connector.pull_part(None, AS_OF, part, 3)]
    once = [r["dossier_id"] for b in batches if not b.may_repeat for r in b.rows]
    again = [r["dossier_id"] for b in batches if b.may_repeat for r in b.rows]
    assert len(whole) == len(set(whole)) > 1000
    assert sorted(once) == sorted(whole)
    assert set(again) <= set(whole)
    if overlap == "2h":
        assert len(again) > 10
    elif overlap == "0":
        assert again == []


def test_parts_that_claim_slices_take_each_once_whichever_part_is_free(demo_server):
    """Issue 3: with a shared `claim`, a part takes the next slice no part has taken, so the parts finish together
    however uneven the slices are. A part run first takes them all and the other finds none left; the progress
    is the whole pull's."""
    demo_server.feed.fixed_clock = AS_OF
    connector = connector_for(entry("portal", "dossier_api", url=f"{demo_server.url}/portal/dossiers",
                                    page_size=500))
    whole = [r["dossier_id"] for b in connector.pull(None, AS_OF) for r in b.rows]
    claim = itertools.count().__next__
    first = list(connector.pull_part(None, AS_OF, 0, 2, claim))
    second = list(connector.pull_part(None, AS_OF, 1, 2, claim))
    assert len(whole) > 1000 and second == []
    assert sorted(r["dossier_id"] for b in first if not b.may_repeat for r in b.rows) == sorted(whole)
    progress = [b.progress for b in first]
    assert progress == sorted(progress) and progress[-1] == 1.0 and progress[0] < 0.5


@pytest.mark.postgres
def test_a_backfill_analyzes_the_records_it_loaded_on_postgresql(postgres_url, demo_server, monkeypatch):
    """Issue 3: planned on the statistics of a near-empty table, each lookup of ids after a bulk load scanned every
    stored dossier. A pull that inserted ANALYZE_AFTER_ROWS records as new analyzes their table before going on."""
    demo_server.feed.fixed_clock = AS_OF
    engine = engine_for(postgres_url)
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", 500)
    analyzed = "SELECT count(*) FROM pg_stats WHERE tablename = 'dossiers' AND attname = 'source'"
    with engine.connect() as conn:
        assert conn.execute(text(analyzed)).scalar_one() == 0
    result = pipeline.pull(engine, entry("portal", "dossier_api", url=f"{demo_server.url}/portal/dossiers",
                                         page_size=300, prepare_in_subprocess=False), until=AS_OF)
    assert result.status == "ok" and result.rows_stored > 500, result.error
    with engine.connect() as conn:
        assert conn.execute(text(analyzed)).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = 'tickets'")).scalar_one() == 0


def test_document_counts_as_csv(engine, demo_server):
    demo_server.feed.fixed_clock = AS_OF
    source = entry("documents-csv", "document_counts", url=f"{demo_server.url}/documents?format=csv",
                   start="2025-07-01")
    result = pipeline.pull(engine, source, until=at("2025-07-04 00:00"))
    assert (result.status, result.rows_quarantined) == ("ok", 0)
    assert result.rows_stored == 4 * 2 * (168 + 15)  # 1–4 July (closed on the server), two directions, every unit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_demo_serve_with_a_token_feeds_the_dossier_api_connector(engine, monkeypatch):
    port = _free_port()
    env = {**os.environ, "DEMO_TOKEN": "t0ken"}
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "demo", "serve", "--port", str(port),
                               "--scale", "0.01", "--as-of", "2025-07-04T00:00+07:00", "--token-env", "DEMO_TOKEN"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "demo serve did not start"
                time.sleep(0.2)
        assert requests.get(f"http://127.0.0.1:{port}/portal/dossiers", timeout=5).status_code == 401
        monkeypatch.setenv("DEMO_TOKEN", "t0ken")
        source = entry("portal", "dossier_api", url=f"http://127.0.0.1:{port}/portal/dossiers",
                       auth={"type": "bearer", "token_env": "DEMO_TOKEN"})
        result = pipeline.pull(engine, source, until=at("2025-07-04 00:00"))
        assert (result.status, result.rows_quarantined) == ("ok", 0) and result.rows_stored > 100
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert "kind: dossier_api" in out and "token_env: DEMO_TOKEN" in out


# ---------------------------------------------------------------------------------------------- file_drop

def _drop_source(folder, kind="dossier", **options):
    return entry("drop", "file_drop", path=str(folder), record_kind=kind, settle=0, timezone="Asia/Ho_Chi_Minh",
                 **options)


CSV_HEADER = "Mã hồ sơ;Đơn vị;Mã TTHC;Tên TTHC;Lĩnh vực;channel;received_at;due_at;status;Người nộp\n"


def test_file_drop_csv_and_xlsx_moved_with_reports(engine, tmp_path):
    from openpyxl import Workbook

    drop = tmp_path / "drop"
    drop.mkdir()
    fields = {"dossier_id": "Mã hồ sơ", "unit_code": "Đơn vị", "procedure_code": "Mã TTHC",
              "procedure_name": "Tên TTHC", "sector": "Lĩnh vực"}
    (drop / "a.csv").write_text(
        CSV_HEADER
        + "F1;26506;1.001;Chứng thực;Chứng thực;online;01/07/2025 08:00;03/07/2025 17:00;received;Nguyễn Văn An\n"
        + "F2;26506;1.001;Chứng thực;Chứng thực;fax;01/07/2025 09:00;03/07/2025 17:00;received;Lê Thị B\n"
        + "F3;26506;1.001;Chứng thực;Chứng thực;direct;2025-07-01 10:00;2025-07-03 17:00;received;x\n",
        encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Đơn vị", "Mã TTHC", "Tên TTHC", "Lĩnh vực", "channel", "received_at", "due_at",
                  "status", "completed_at", "supplement_requests"])
    sheet.append(["X1", 26506, "1.002", "Đăng ký khai sinh", "Hộ tịch", "direct", datetime(2025, 7, 2, 8),
                  datetime(2025, 7, 4, 17), "completed", datetime(2025, 7, 3, 9), 1])
    sheet.append(["X2", "26506", "1.002", "Đăng ký khai sinh", "Hộ tịch", "postal", datetime(2025, 7, 2, 9),
                  datetime(2025, 7, 4, 17), "received", None, None])
    sheet.append([None] * 11)
    book.save(drop / "b.xlsx")
    (drop / "c.csv").write_text("something,else\n1,2\n", encoding="utf-8")     # not a dossier file
    (drop / "d.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")          # damaged

    result = pipeline.pull(engine, _drop_source(drop, fields=fields), until=AS_OF)
    assert (result.status, result.rows_read, result.rows_stored, result.rows_quarantined) == ("ok", 5, 4, 1)
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["a.csv", "a.csv.report.json", "b.xlsx",
                                                                  "b.xlsx.report.json"]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == ["c.csv", "c.csv.report.json", "d.xlsx",
                                                                    "d.xlsx.report.json"]
    report = json.loads((drop / "done" / "a.csv.report.json").read_text(encoding="utf-8"))
    assert (report["rows"], report["stored"], report["quarantined"]) == (3, 2, 1)
    assert report["quarantined_rows"][0]["line"] == "a.csv:3" and "channel" in report["quarantined_rows"][0]["reason"]
    assert "missing column" in json.loads((drop / "failed" / "c.csv.report.json").read_text())["error"]
    with engine.connect() as conn:
        rows = {r.dossier_id: r for r in conn.execute(select(dossiers))}
        raw = conn.execute(select(quarantine.c.raw)).scalar_one()
    assert set(rows) == {"F1", "F3", "X1", "X2"} and rows["X1"].supplement_requests == 1
    assert rows["F1"].received_at == at("2025-07-01 08:00") and rows["X1"].status == "completed"
    assert "Lê Thị B" not in raw and "Người nộp" not in raw  # unmapped columns never travel
    # Nothing is left to read: the next pull reads nothing and stores nothing.
    again = pipeline.pull(engine, _drop_source(drop, fields=fields), until=AS_OF)
    assert (again.status, again.rows_read) == ("ok", 0)


def test_file_drop_tickets_placed_by_location_and_document_counts(engine, tmp_path):
    frame = communes_frame().set_index("code")
    lat, lon = frame.loc["26506", ["lat", "lon"]]
    tickets_dir, counts_dir = tmp_path / "t", tmp_path / "c"
    tickets_dir.mkdir()
    counts_dir.mkdir()
    (tickets_dir / "t.csv").write_text(
        "ticket_id,channel,category,lat,long,received_at,due_at,status\n"
        f"7,app,Môi trường,{lat},{lon},2025-07-02T08:00:00+07:00,,open\n"
        "8,web,Môi trường,10.0,100.0,2025-07-02T08:00:00+07:00,2025-07-20T08:00:00+07:00,open\n", encoding="utf-8")
    (counts_dir / "c.csv").write_text("unit_code,day,direction,total,electronic,digitally_signed\n"
                                      "26506,2025-07-01,den,10,9,8\n26506,01/07/2025,đi,5,5,6\n", encoding="utf-8")
    assert pipeline.pull(engine, _drop_source(tickets_dir, "ticket"), until=AS_OF).status == "ok"
    counts = pipeline.pull(engine, _drop_source(counts_dir, "document_count"), until=AS_OF)
    assert (counts.rows_stored, counts.rows_quarantined) == (1, 1)  # signed > electronic is refused
    with engine.connect() as conn:
        placed = dict(conn.execute(select(tickets.c.ticket_id, tickets.c.unit_code)).all())
        due = conn.execute(select(tickets.c.due_at).where(tickets.c.ticket_id == "7")).scalar_one()
    assert placed == {"7": "26506", "8": None} and due > at("2025-07-21 00:00")  # 15 working days by default


# ---------------------------------------------------------------------------------------------- sql

def test_sql_source_reads_a_second_database_incrementally(engine, tmp_path):
    other_url = f"sqlite:///{tmp_path / 'district.db'}"
    other = create_engine(other_url)
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE ho_so (ma TEXT, don_vi TEXT, received TEXT, due TEXT, kenh TEXT, "
                          "trang_thai TEXT, cap_nhat TEXT)"))
        conn.execute(text("INSERT INTO ho_so VALUES (:m, '26506', '2025-07-01 08:00:00', '2025-07-03 17:00:00', "
                          ":k, 'received', :u)"),
                     [{"m": f"S{i}", "k": "online" if i != 3 else "carrier pigeon", "u": f"2025-07-0{1 + i % 3} 09:00:00"}
                      for i in range(1, 10)])
    query = ("SELECT ma AS dossier_id, don_vi AS unit_code, '1.001' AS procedure_code, 'Chứng thực' AS "
             "procedure_name, 'Chứng thực' AS sector, kenh AS channel, received AS received_at, due AS due_at, "
             "trang_thai AS status, cap_nhat AS updated_at FROM ho_so "
             "WHERE datetime(cap_nhat, '-7 hours') > datetime(:since) AND datetime(cap_nhat, '-7 hours') <= "
             "datetime(:until)")
    os.environ["DISTRICT_DB_URL"] = other_url
    try:
        source = entry("district", "sql", url_env="DISTRICT_DB_URL", record_kind="dossier", query=query,
                       timezone="Asia/Ho_Chi_Minh", start="2025-06-30", overlap=0)
        first = pipeline.pull(engine, source, until=at("2025-07-02 12:00"))
        assert (first.status, first.rows_stored, first.rows_quarantined) == ("ok", 5, 1), first.error
        with other.begin() as conn:
            conn.execute(text("UPDATE ho_so SET kenh = 'direct', cap_nhat = '2025-07-05 10:00:00' WHERE ma = 'S1'"))
        second = pipeline.pull(engine, source, until=at("2025-07-06 00:00"))
        assert (second.rows_read, second.rows_stored) == (4, 4)  # S2, S5, S8 new since; S1 changed
    finally:
        del os.environ["DISTRICT_DB_URL"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossiers)).scalar_one() == 8
        assert conn.execute(select(dossiers.c.channel).where(dossiers.c.dossier_id == "S1")).scalar_one() == "direct"
