"""The targets registry: its data, the projection on a known series, and judging targets on a store."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from ingest import pipeline
from metrics import targets as reg
from metrics.frame import CITY
from metrics.kpis import CATALOGUE
from tests.conftest import at
from tests.records import dossier, given

UNIT = "26506"


def test_registry_entries_name_a_known_kpi_a_source_and_a_confidence():
    ids = {t.id for t in reg.targets()}
    assert {"P02-1", "P02-2", "P02-3", "P02-4", "P02-5", "P02-6", "P02-7", "P02-8a", "P02-8b"} <= ids
    assert {"QD1565-satisfaction", "QD942-signed", "QD942-electronic", "QD126-full-online"} <= ids
    for t in reg.targets():
        assert t.source and t.confidence in reg.CONFIDENCE and t.scope in ("city", "commune"), t.id
        assert t.kpi is None or t.kpi in CATALOGUE, t.id
        assert t.kpi is not None or t.note, f"{t.id}: a target not measured says why"


def test_projection_on_a_known_series_is_exact():
    # y = 40 + 2.5 per month from 2026-01: 2026-06 is 52.5; 2026-12 is 40 + 2.5 × 11 = 67.5
    months = pd.date_range("2026-01-01", periods=6, freq="MS").date
    series = pd.Series([40 + 2.5 * i for i in range(6)], index=months)
    value, slope, method = reg.project(series, date(2026, 12, 31))
    assert value == pytest.approx(67.5) and slope == pytest.approx(2.5)
    assert "least squares" in method and "6 months 2026-01…2026-06" in method and "2026-12" in method


def test_projection_skips_months_without_data_and_needs_two_points():
    months = pd.date_range("2026-01-01", periods=4, freq="MS").date
    # 10, NaN, 30, 40 → fit on months 0, 2, 3: slope 10 exactly (points on y = 10 + 10 t)
    value, slope, _ = reg.project(pd.Series([10, math.nan, 30, 40], index=months), date(2026, 6, 1))
    assert (value, slope) == (pytest.approx(60), pytest.approx(10))
    value, _, method = reg.project(pd.Series([10.0], index=months[:1]), date(2026, 6, 1))
    assert math.isnan(value) and "2 needed" in method


def test_status_by_the_stated_rule():
    t = next(t for t in reg.targets() if t.id == "P02-5")  # ≥ 80, amber within 5 % of 80 = 4 points
    assert reg._status(t, 80.0, math.nan) == "green"
    assert reg._status(t, 76.0, math.nan) == "amber"
    assert reg._status(t, 75.9, math.nan) == "red"
    assert reg._status(t, 60.0, 81.0) == "amber"  # projected to meet it by the next deadline
    assert reg._status(t, math.nan, math.nan) == "no data"
    idle = next(t for t in reg.targets() if t.id == "P02-8b")  # ≤ 2 working days
    assert reg._status(idle, 2, math.nan) == "green" and reg._status(idle, 3, math.nan) == "red"
    assert reg._status(next(t for t in reg.targets() if t.id == "P02-1"), 1, 1) == "not measured"
    assert "green" in reg.status_rule_text() and "5%" in reg.status_rule_text()


def test_targets_judged_on_a_store(engine):
    # Fully online: December 2025 3 of 4 = 75 %; then monthly 50 % (Jun-Aug 2026: 1 of 2), 100 % in
    # September-October 2026 (2 of 2) and 1 of 1 so far in November 2026.
    rows = []
    def month(prefix, day, full, total):
        for i in range(total):
            rows.append(dossier(f"{prefix}{i}", received=f"{day} 09:00", due=f"{day} 17:00",
                                full_process_online=i < full, completed=f"{day} 10:00", status="completed"))
    month("dec", "2025-12-10", 3, 4)
    for m in ("06", "07", "08"):
        month(f"m{m}-", f"2026-{m}-10", 1, 2)
    for m in ("09", "10"):
        month(f"m{m}-", f"2026-{m}-12", 2, 2)
    month("nov", "2026-11-10", 1, 1)
    pipeline.pull(engine, given([("dossier", rows)]), until=at("2026-11-20 00:00"))
    table = reg.evaluate(engine, date(2026, 11, 20), unit=UNIT)
    p025 = table.loc["P02-5"]
    assert p025["value_at_deadline"] == pytest.approx(75) and p025["met_at_deadline"] is False
    assert p025["value_now"] == pytest.approx(100) and p025["status"] == "green"
    # last 6 complete months May-Oct 2026: May has no data; Jun-Aug 50, Sep-Oct 100 → fit on t = 0,1,2,3,4:
    # slope = Σ(t-2)(y-70) / Σ(t-2)² = (−2·−20 + −1·−20 + 0 + 1·30 + 2·30) / 10 = 15; at t = 6 (Dec): 70 + 4·15 = 130
    assert p025["trend_per_month"] == pytest.approx(15)
    assert p025["next_deadline"] == date(2026, 12, 31) and p025["projection"] == pytest.approx(130)
    assert "2026-06…2026-10" in p025["projection_method"]
    assert "P02-7" not in table.index  # a city-scope target is not judged for a commune
    assert table.loc["P02-1", "status"] == "not measured" and table.loc["P02-3", "status"] == "not judged"
    city = reg.evaluate(engine, date(2026, 11, 20))
    assert city.loc["P02-5", "communes_met_now"] == 1 and city.loc["P02-7", "value_now"] == 1
    assert city.loc["P02-7", "status"] == "red"  # 1 of 168 communes received online dossiers this month
