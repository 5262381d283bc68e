"""A pull keeps the daily rollups by deltas (each batch's own change); they must equal a recompute from the records."""
from __future__ import annotations

from sqlalchemy import select

from ingest import pipeline
from store import rollups
from store.schema import (dossier_backlog_daily, dossier_daily, dossier_due_flow, dossier_duration_daily,
                          dossier_duration_monthly, dossier_unit_daily, dossier_unit_monthly, ticket_backlog_daily,
                          ticket_daily, ticket_due_flow, ticket_unit_daily, ticket_unit_monthly)
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
