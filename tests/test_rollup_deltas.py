"""A pull keeps the daily rollups by deltas (each batch's own change); they must equal a recompute from the records."""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from ingest import pipeline
from store import rollups
from store.schema import (dossier_backlog_daily, dossier_daily, dossier_due_flow, dossier_duration_daily,
                          dossier_duration_monthly, dossier_unit_daily, dossier_unit_monthly, ticket_backlog_daily,
                          ticket_daily, ticket_due_flow, ticket_unit_daily, ticket_unit_monthly)
from store.db import engine_for
from tests.conftest import at, demo_source
from tests.records import assert_held_exact, dossier, given, later, ticket

TABLES = (dossier_daily, dossier_unit_daily, dossier_duration_daily, dossier_due_flow, dossier_backlog_daily,
          dossier_unit_monthly, dossier_duration_monthly, ticket_daily, ticket_unit_daily, ticket_due_flow,
          ticket_backlog_daily, ticket_unit_monthly)


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t)).all())) for t in TABLES}


def assert_same_as_a_recompute(engine) -> None:
    kept = snapshot(engine)
    with engine.begin() as conn:
        rollups.rebuild_all(conn)
    recomputed = snapshot(engine)
    assert sum(map(len, kept.values())) > 0
    for name in kept:
        assert kept[name] == recomputed[name], name


def test_versions_that_move_days_leave_the_rollups_as_a_recompute_would(engine):
    moved = dossier("M", received="2025-07-02 08:00", due="2025-07-04 17:00")
    ended = dossier("E", unit="26509", received="2025-07-01 10:00")
    gone = dossier("G", received="2025-07-05 08:00", due="2025-07-05 17:00", sector="Hộ tịch")
    first = [moved, ended, gone, dossier("S", supplement_requests=2, completed="2025-07-02 09:00", status="completed")]
    tickets_first = [ticket("T1"), ticket("T2", unit="26509", closed="2025-07-03 10:00", rating=1)]
    # two batches of new dossiers, written in one transaction: their own rollup rows are summed
    pipeline.pull(engine, given([("dossier", first[:2]), ("dossier", first[2:] + [dossier("F", sector="Hộ tịch")]),
                                 ("ticket", tickets_first)]), until=at("2025-07-10 00:00"))
    assert_same_as_a_recompute(engine)

    second = [
        later(moved, received_at=at("2025-07-03 08:00"), due_at=at("2025-07-08 17:00")),  # every day moves
        later(ended, status="completed", completed_at=at("2025-07-06 09:00")),
        later(gone, unit_code="26509", sector="Chứng thực"),  # its old (unit, day, sector) row empties
        ended,  # a stale re-delivery in the same batch as its newer version
        dossier("N", received="2025-07-07 08:00", completed="2025-07-09 08:00", status="returned"),
    ]
    tickets_second = [later(tickets_first[0], status="closed", closed_at=at("2025-07-04 09:00"), reopened=True),
                      later(tickets_first[1], closed_at=at("2025-07-05 11:00"), rating=5)]
    pipeline.pull(engine, given([("dossier", second), ("ticket", tickets_second)]), until=at("2025-07-11 00:00"))
    assert_same_as_a_recompute(engine)
    assert assert_held_exact(engine) == {"upstream": (7, 0)}  # five dossiers, two tickets (N is quarantined)


def test_sectors_copy_text_must_escape_add_up_as_a_recompute_would(engine):
    # On PostgreSQL a batch's own rollup rows go to the staging table as COPY text made a column at a time.
    sectors = ["Tư pháp\tHộ tịch", "C:\\Hộ tịch\\N", "hai\ndòng", "\\N", "Đất\rđai"]
    records = [dossier(f"X{i}", sector=sector, received=f"2025-07-0{1 + i % 3} 08:00")
               for i, sector in enumerate(sectors)]
    pipeline.pull(engine, given([("dossier", records[:3]), ("dossier", records[3:])]), until=at("2025-07-10 00:00"))
    assert_same_as_a_recompute(engine)
    with engine.connect() as conn:
        assert sorted(conn.execute(select(dossier_daily.c.sector)).scalars()) == sorted(sectors)


def test_demo_pulls_with_status_changes_leave_the_rollups_as_a_recompute_would(engine):
    source = demo_source(scale=0.01, start="2025-09-01")
    pipeline.pull(engine, source, until=at("2025-09-08 09:00"))
    pipeline.pull(engine, source, until=at("2025-09-11 18:00"))
    assert_same_as_a_recompute(engine)
    assert assert_held_exact(engine)["demo"][0] > 0  # dossiers, tickets and documents, new and changed


def test_a_backfill_reading_a_record_twice_undoes_the_insert_and_upserts(engine):
    """A backfill inserts its batches as new without looking ids up (issue 3); a batch holding an id an earlier
    batch stored (the parts' overlap, a re-read page) is undone to its savepoint and upserted instead."""
    a, b = dossier("A", received="2025-07-01 08:00"), dossier("B", unit="26509", received="2025-07-02 08:00")
    batches = [("dossier", [a, b]),
               ("dossier", [later(a, status="completed", completed_at=at("2025-07-03 09:00")), b,
                            dossier("C", received="2025-07-03 08:00")]),
               ("dossier", [dossier("D", received="2025-07-04 08:00", due="2025-07-08 17:00")])]
    result = pipeline.pull(engine, given(batches), until=at("2025-07-10 00:00"))
    assert (result.status, result.rows_read) == ("ok", 6), result.error
    assert result.rows_stored == 5  # A, B; A's newer version and C (B's equal re-read changes nothing); D
    assert_same_as_a_recompute(engine)
    assert assert_held_exact(engine) == {"upstream": (4, 0)}


def test_two_pulls_of_one_source_at_once_write_one_after_the_other(engine, monkeypatch):
    """The scheduler's pull and a `cli.py ingest --once` of the same source, each reading the stored versions
    before the other writes: the second waits for the first's transaction, so nothing is subtracted twice."""
    a = dossier("A", received="2025-07-01 08:00", due="2025-07-08 17:00")
    b = dossier("B", unit="26509", received="2025-07-02 08:00", due="2025-07-08 17:00")
    assert pipeline.pull(engine, given([("dossier", [a, b])]), until=at("2025-07-03 00:00")).status == "ok"
    one = [later(a, status="completed", completed_at=at("2025-07-03 09:00")), later(b, sector="Hộ tịch")]
    two = [later(one[0], updated_at=one[0]["updated_at"] + timedelta(hours=2), status="returned"),
           later(one[1], updated_at=one[1]["updated_at"] + timedelta(hours=2), unit_code="26506")]
    met = threading.Barrier(2, timeout=3)
    capture = rollups.capture_versions

    def capture_then_meet(conn, kind, source, ids, sign):
        found = capture(conn, kind, source, ids, sign)
        if sign == -1:
            try:
                met.wait()  # both have read the stored versions, unless one is made to wait for the other
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(rollups, "capture_versions", capture_then_meet)
    results = []
    pulls = [threading.Thread(target=lambda rows: results.append(
        pipeline.pull(engine, given([("dossier", rows)]), until=at("2025-07-04 00:00"))), args=(rows,))
        for rows in (one, two)]
    for thread in pulls:
        thread.start()
    for thread in pulls:
        thread.join(timeout=60)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    assert_same_as_a_recompute(engine)
    assert assert_held_exact(engine) == {"upstream": (2, 0)}


@pytest.mark.postgres
def test_two_pulls_adding_the_same_rollup_rows_in_opposite_orders_wait_instead_of_deadlocking(postgres_url):
    """Daily rollup rows are shared by every source: pull A holds some (its transaction's first group), pull B
    brings the same rows and more in another order, then A's next group needs B's new rows. Added in key order,
    B waits for A at its first row, holding none; in its own order, B held rows A needed and PostgreSQL aborted one
    of the two (a deadlock)."""
    engine = engine_for(postgres_url)
    start = (date(2025, 7, 1) - date(1970, 1, 1)).days
    keys = [("26506", start + i, start + i + 7) for i in range(20)]

    def flow(rows) -> dict:
        return {"dossier_due_flow": pd.DataFrame(rows, columns=["unit_code", "day", "late_day"]).assign(opened=1,
                                                                                                        closed=0)}

    with engine.begin() as conn:  # both pulls see the calendar covered (else B would wait on A's calendar rows)
        rollups.sync_calendar(conn, date(2023, 1, 1), date(2027, 12, 31))
    errors = []

    def pull_b():
        try:
            with engine.begin() as conn:
                rollups.add_contributions(conn, flow(keys[::-1]))
        except Exception as exc:  # noqa: BLE001 — asserted below
            errors.append(exc)

    with engine.connect() as a, a.begin():
        rollups.add_contributions(a, flow(keys[:10]))
        b = threading.Thread(target=pull_b)
        b.start()
        with engine.connect() as watch:
            waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
            deadline = time.monotonic() + 10
            while not (seen := watch.exec_driver_sql(waiting).scalar()) and time.monotonic() < deadline:
                watch.rollback()  # pg_stat_activity is read once a transaction
                time.sleep(0.05)
        assert seen, "pull B never waited for pull A: the two did not meet"
        rollups.add_contributions(a, flow(keys[10:]))
    b.join(timeout=30)
    assert not errors, errors
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), sum(opened) FROM dossier_due_flow").one() == (20, 40)
