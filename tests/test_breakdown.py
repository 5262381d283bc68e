"""Sector and procedure breakdowns of one commune: the catalogue's KPIs from the sector rollup and from the
dossiers, equal to a direct count of the records, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ingest import pipeline
from metrics.breakdown import (BREAKDOWN_KPIS, procedure_breakdown, procedure_daily, sector_breakdown,
                               sector_daily, slug)
from metrics.frame import kpi_frame
from tests.conftest import at, demo_source
from tests.records import dossier, given

UNIT, OTHER = "26506", "26536"
HOUSEHOLD = {"sector": "Hộ tịch", "procedure_code": "2.001", "procedure_name": "Đăng ký khai sinh"}
LAND = {"sector": "Đất đai", "procedure_code": "3.001", "procedure_name": "Đăng ký biến động đất đai"}
DOSSIERS = [
    # Chứng thực (1.001): early, on the due day, and received only
    dossier("c1", received="2025-08-04 08:00", due="2025-08-06 17:00", completed="2025-08-05 10:00",
            status="completed"),
    dossier("c2", received="2025-08-04 09:00", due="2025-08-06 17:00", completed="2025-08-06 16:00",
            status="completed", channel="direct", full_process_online=False),
    dossier("c3", received="2025-08-07 09:00", due="2025-08-11 17:00"),
    # Hộ tịch: late by time, late by two supplement requests, on time
    dossier("h1", received="2025-08-04 09:00", due="2025-08-05 17:00", completed="2025-08-06 09:00",
            status="completed", **HOUSEHOLD),
    dossier("h2", received="2025-08-04 09:00", due="2025-08-08 17:00", completed="2025-08-07 09:00",
            status="completed", supplement_requests=2, **HOUSEHOLD),
    dossier("h3", received="2025-08-05 09:00", due="2025-08-08 17:00", completed="2025-08-08 09:00",
            status="completed", channel="direct", full_process_online=False, **HOUSEHOLD),
    # received before the period, ended in it (counted as ended, not as received)
    dossier("l1", received="2025-07-28 09:00", due="2025-08-05 17:00", completed="2025-08-05 09:00",
            status="completed", **LAND),
    # another commune: never in UNIT's breakdown
    dossier("o1", unit=OTHER, received="2025-08-04 09:00", due="2025-08-06 17:00", completed="2025-08-05 09:00",
            status="completed"),
]
PERIOD = (date(2025, 8, 1), date(2025, 8, 31))


@pytest.fixture
def seeded(engine):
    pipeline.pull(engine, given([("dossier", DOSSIERS)]), until=at("2025-09-01 00:00"))
    return engine


def test_sector_breakdown_counts_and_kpis(seeded):
    sectors = sector_breakdown(seeded, UNIT, *PERIOD)
    assert sectors.index.tolist() == ["Hộ tịch", "Chứng thực", "Đất đai"]  # most received, then ended
    assert sectors["slug"].tolist() == ["ho-tich", "chung-thuc", "dat-dai"]
    assert sectors.loc["Chứng thực", ["received", "completed", "completed_early", "completed_on_time"]].tolist() \
        == [3, 2, 1, 1]
    assert sectors.loc["Chứng thực", "on_time_rate"] == 100
    assert sectors.loc["Chứng thực", "online_share"] == pytest.approx(200 / 3)
    assert sectors.loc["Hộ tịch", ["completed_late", "completed"]].tolist() == [2, 3]
    assert sectors.loc["Hộ tịch", "on_time_rate"] == pytest.approx(100 / 3)
    assert sectors.loc["Đất đai", ["received", "completed"]].tolist() == [0, 1]
    assert pd.isna(sectors.loc["Đất đai", "online_share"])  # nothing received: no data, never 0 %
    # KPIs the sector rollup cannot count are left out, not shown wrong
    assert {"on_time_rate", "online_share", "dossiers_received"} <= set(BREAKDOWN_KPIS)
    assert not {"dossiers_open", "processing_days_median", "digitised_share"} & set(sectors.columns)
    # the sectors add up to the commune's own KPI frame
    row = kpi_frame(seeded, *PERIOD).loc[UNIT]
    assert sectors["received"].sum() == row["dossiers_received"]
    assert sectors["completed"].sum() == row["dossiers_completed"]
    # the whole city: OTHER's dossier counted too
    assert sector_breakdown(seeded, None, *PERIOD).loc["Chứng thực", "completed"] == 3


def test_procedure_breakdown_equals_the_sector_rollup(seeded):
    procedures = procedure_breakdown(seeded, UNIT, *PERIOD)
    assert set(procedures.index) == {"1.001", "2.001", "3.001"}
    assert procedures.loc["2.001", "procedure_name"] == "Đăng ký khai sinh"
    sectors = sector_breakdown(seeded, UNIT, *PERIOD)
    by_sector = procedures.groupby("sector")[["received", "completed", "completed_early", "completed_on_time",
                                              "completed_late"]].sum()
    pd.testing.assert_frame_equal(by_sector.sort_index(), sectors[by_sector.columns].sort_index(), check_names=False)
    only = procedure_breakdown(seeded, UNIT, *PERIOD, sector="Hộ tịch")
    assert only.index.tolist() == ["2.001"]
    daily = procedure_daily(seeded, UNIT, *PERIOD, "2.001")
    assert daily["received"].sum() == 3 and daily["completed_late"].sum() == 2 and len(daily) == 31
    assert sector_daily(seeded, UNIT, *PERIOD, "Hộ tịch")[["received", "completed_on_time", "completed_late"]] \
        .sum().tolist() == [3, 1, 2]


def test_breakdowns_on_demo_data_equal_a_direct_count_of_the_dossiers(engine):
    from sqlalchemy import select

    from metrics.rules import rule
    from store.schema import dossiers

    pipeline.pull(engine, demo_source(scale=0.02, start="2025-10-01"), until=at("2025-10-15 00:00"))
    start, end = date(2025, 10, 3), date(2025, 10, 12)
    with engine.connect() as conn:
        records = pd.DataFrame(conn.execute(select(dossiers)).mappings().all())
    unit = records["unit_code"].value_counts().index[0]
    mine = records[records["unit_code"] == unit]
    received = mine[mine["received_day"].between(start, end)]
    ended = mine[mine["completed_day"].notna() & mine["completed_day"].between(start, end)]
    on_time = (ended["completed_at"] <= ended["due_at"]) & (ended["supplement_requests"]
                                                             <= rule("late_supplement_requests"))
    expected = pd.DataFrame({"received": received.groupby("procedure_code").size(),
                             "online": received[received["channel"] == "online"].groupby("procedure_code").size(),
                             "completed": ended.groupby("procedure_code").size(),
                             "on_time": ended[on_time].groupby("procedure_code").size()}).fillna(0)
    procedures = procedure_breakdown(engine, unit, start, end)
    got = procedures[["received", "received_online", "completed"]].set_axis(["received", "online", "completed"],
                                                                            axis=1)
    got["on_time"] = procedures["completed_early"] + procedures["completed_on_time"]
    pd.testing.assert_frame_equal(got.sort_index().astype(float), expected.sort_index().astype(float),
                                  check_names=False)
    assert len(procedures) > 3
    rate = expected["on_time"] / expected["completed"].where(expected["completed"] > 0) * 100
    pd.testing.assert_series_equal(procedures["on_time_rate"].sort_index(), rate.sort_index(), check_names=False)
    sectors = sector_breakdown(engine, unit, start, end)
    assert sectors["received"].sum() == len(received) and sectors["completed"].sum() == len(ended)


def test_slug_strips_vietnamese_marks():
    assert slug("Đăng ký, quản lý cư trú") == "dang-ky-quan-ly-cu-tru"
    assert slug("An toàn thực phẩm") == "an-toan-thuc-pham"


def test_one_sector_across_units_and_the_city(seeded):
    from metrics.breakdown import sector_units

    units = sector_units(seeded, "Chứng thực", *PERIOD)
    assert units.loc[UNIT, ["received", "completed"]].tolist() == [3, 2]
    assert units.loc[OTHER, ["received", "completed", "on_time_rate"]].tolist() == [1, 1, 100]
    city = sector_daily(seeded, None, *PERIOD, "Chứng thực")
    assert city["received"].sum() == 4 and city["completed_on_time"].sum() == 3
    assert set(sector_units(seeded, "Hộ tịch", *PERIOD).index) == {UNIT}


def test_a_day_without_dossiers_counts_zero_in_the_daily_series(seeded):
    daily = procedure_daily(seeded, UNIT, date(2025, 8, 1), date(2025, 8, 10), "2.001")
    assert daily["day"].tolist() == [date(2025, 8, d) for d in range(1, 11)]
    assert daily.set_index("day").loc[date(2025, 8, 6), "completed_late"] == 1  # h1
    assert daily.set_index("day").loc[date(2025, 8, 2)].tolist() == [0, 0, 0]
