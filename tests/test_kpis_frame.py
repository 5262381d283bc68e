"""The monthly rollups (migration 0004) the KPI frame reads for whole months, on SQLite and PostgreSQL.

They are kept by ingest (dossiers, tickets: the months a batch touched) and by triggers (document counts),
so a frame read through them must equal the same frame read from the daily rollups alone, whatever the
period's shape, and after later versions move records between months.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pandas as pd
from sqlalchemy import delete, select

from ingest import pipeline
from metrics.frame import compute, kpi_frame
from store.schema import document_counts, document_unit_monthly
from tests.conftest import at, demo_source
from tests.records import dossier, given, later, ticket

UNIT, OTHER = "26506", "26536"
UNTIL = at("2026-03-01 00:00")
JULY, AUGUST = (date(2025, 7, 1), date(2025, 7, 31)), (date(2025, 8, 1), date(2025, 8, 31))
# Whole months, partial ones, both, one day either side of a month's end, a period with no whole month.
PERIODS = [JULY, AUGUST, (date(2025, 7, 1), date(2025, 8, 31)), (date(2025, 7, 20), date(2025, 8, 31)),
           (date(2025, 7, 1), date(2025, 8, 10)), (date(2025, 7, 15), date(2025, 8, 10)),
           (date(2025, 7, 31), date(2025, 8, 1)), (date(2025, 7, 2), date(2025, 7, 9)),
           (date(2025, 6, 1), date(2025, 9, 30))]


def assert_same_as_daily(engine, periods) -> None:
    for start, end in periods:
        monthly, daily = compute(engine, start, end), compute(engine, start, end, monthly=False)
        pd.testing.assert_frame_equal(monthly[0], daily[0], obj=f"measures {start}..{end}")
        pd.testing.assert_frame_equal(monthly[1], daily[1], obj=f"KPIs {start}..{end}")


DOSSIERS = [
    dossier("j1", completed="2025-07-02 10:00", status="completed"),
    dossier("j2", received="2025-07-30 09:00", due="2025-08-01 17:00", completed="2025-07-31 16:00",
            status="completed"),
    dossier("a1", received="2025-08-04 09:00", due="2025-08-06 17:00", completed="2025-08-07 09:00",
            status="completed", channel="direct", full_process_online=False),
    dossier("o1", unit=OTHER, received="2025-08-05 09:00", due="2025-08-08 17:00"),
]
TICKETS = [ticket("t1", received="2025-07-10 09:00", closed="2025-08-02 10:00"),
           ticket("t2", received="2025-08-03 09:00")]
DOCUMENTS = [{"unit_code": UNIT, "day": date(2025, 7, 31), "direction": "incoming", "total": 4, "electronic": 4,
              "digitally_signed": 2},
             {"unit_code": UNIT, "day": date(2025, 8, 1), "direction": "outgoing", "total": 6, "electronic": 3,
              "digitally_signed": 3}]


def test_the_monthly_rollups_give_the_daily_numbers_before_and_after_records_move(engine):
    pipeline.pull(engine, given([("dossier", DOSSIERS), ("ticket", TICKETS), ("document_count", DOCUMENTS)]),
                  until=UNTIL)
    july = kpi_frame(engine, *JULY).loc[UNIT]
    # July: received j1, j2 (2); ended j1 (early), j2 (31/7, before its due day 1/8: early) → 2 of 2 on time
    assert (july["dossiers_received"], july["dossiers_completed"], july["on_time_rate"]) == (2, 2, 100)
    assert (july["tickets_received"], july["documents_total"]) == (1, 4)
    assert_same_as_daily(engine, PERIODS)

    # j2 now ends on 1/8 (the day moves out of July), a1 is withdrawn, a document count is corrected.
    j2 = later(DOSSIERS[1], completed_at=at("2025-08-01 18:00"), updated_at=at("2025-08-01 18:00"))
    a1 = later(DOSSIERS[2], status="withdrawn")
    fixed = {**DOCUMENTS[1], "total": 8, "electronic": 8}
    pipeline.pull(engine, given([("dossier", [j2, a1]), ("document_count", [fixed])], name="upstream"),
                  until=UNTIL)
    july, august = kpi_frame(engine, *JULY).loc[UNIT], kpi_frame(engine, *AUGUST).loc[UNIT]
    # July: ended j1 only. August: ended j2 (after 17:00 on its due day: late) and a1 (late) → 0 of 2 on time
    assert (july["dossiers_completed"], july["on_time_rate"]) == (1, 100)
    assert (august["dossiers_completed"], august["on_time_rate"], august["e_result_share"]) == (2, 0, 0)
    assert (august["documents_total"], august["documents_electronic_share"]) == (8, 100)
    assert_same_as_daily(engine, PERIODS)


def test_document_months_follow_deletes_down_to_no_data(engine):
    pipeline.pull(engine, given([("document_count", DOCUMENTS)]), until=UNTIL)
    with engine.begin() as conn:
        conn.execute(delete(document_counts).where(document_counts.c.day == date(2025, 8, 1)))
        rows = conn.execute(select(document_unit_monthly.c.month, document_unit_monthly.c.day_rows,
                                   document_unit_monthly.c.total).order_by(document_unit_monthly.c.month)).all()
    assert [(r[1], r[2]) for r in rows] == [(1, 4), (0, 0)]
    # August has no document left: no data (NaN), not 0 documents
    assert math.isnan(compute(engine, *AUGUST)[1].loc[UNIT, "documents_total"])
    assert_same_as_daily(engine, [JULY, AUGUST, (date(2025, 7, 1), date(2025, 8, 31))])


def test_the_demo_feed_gives_the_same_frame_through_months(engine):
    source = demo_source(scale=0.01, start="2026-01-20")
    result = pipeline.pull(engine, source, until=datetime(2026, 4, 10, 3, tzinfo=timezone.utc))
    assert result.status == "ok" and result.rows_stored > 10_000
    # Tết 2026 (14-22/2) inside; a period ending after the newest record (open dossiers keep falling due).
    assert_same_as_daily(engine, [(date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 1, 25), date(2026, 3, 31)),
                                  (date(2026, 2, 10), date(2026, 3, 5)), (date(2026, 3, 1), date(2026, 4, 30)),
                                  (date(2026, 1, 1), date(2026, 12, 31))])
    frame = compute(engine, date(2026, 2, 1), date(2026, 2, 28))[1]
    assert frame.loc["city", "dossiers_received"] > 0 and frame["processing_days_median"].notna().sum() > 100
