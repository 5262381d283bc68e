"""Decision 766 scoring on worked examples, and by period on a store."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from ingest import pipeline
from metrics import score766
from metrics.frame import CITY
from tests.conftest import at
from tests.records import dossier, given

ALL_MEASURED = 20 + 12 + 6 + 6 + 4 + 2 + 6 + 6  # 62 of 100 points can be measured from the feeds


def kpis(**values) -> pd.DataFrame:
    row = {"progress_on_time_rate": math.nan, "full_online_share": math.nan, "paid_online_share": math.nan,
           "e_result_share": math.nan, "digitised_share": math.nan, "data_reused_share": math.nan,
           "tickets_handled_on_time_rate": math.nan, "tickets_satisfaction": math.nan, **values}
    return pd.DataFrame([row], index=["X"])


def test_weights_add_up_and_name_their_sources():
    w = score766.weights()
    assert sum(g["max"] for g in w["groups"].values()) == 100
    assert w["version"] and w["source"]
    assert all(i["confidence"] in ("official", "press", "secondary", "unverified") for i in w["indicators"])


def test_worked_example_every_measurable_indicator():
    # 2.1: 95 % of 20 = 19; 3.x: 70 % of 12 = 8.4; 3.6: 50 % of 6 = 3; 4.1: 90 % of 6 = 5.4;
    # 4.2: 60/80 of 4 = 3; 4.3: 90 % ≥ 80 % → full 2; 5.2: 100 % of 6 = 6; 5.3: 80 % of 6 = 4.8
    s = score766.score(kpis(progress_on_time_rate=95, full_online_share=70, paid_online_share=50,
                            e_result_share=90, digitised_share=60, data_reused_share=90,
                            tickets_handled_on_time_rate=100, tickets_satisfaction=80)).loc["X"]
    assert s["4.2_points"] == pytest.approx(3) and s["4.3_points"] == pytest.approx(2)
    assert s["MDSH_points"] == pytest.approx(5.4 + 3 + 2) and s["MDSH_measurable"] == 12
    assert s["TDGQ_points"] == pytest.approx(19) and s["MDHL_points"] == pytest.approx(10.8)
    total = 19 + 8.4 + 3 + 5.4 + 3 + 2 + 6 + 4.8
    assert s["total"] == pytest.approx(total) and s["measurable_points"] == ALL_MEASURED
    assert s["score_100"] == pytest.approx(total / ALL_MEASURED * 100)  # 51.6 / 62 → 83.2: "good"
    assert s["band"] == "good"
    assert math.isnan(s["1.4_points"]) and math.isnan(s["CKMB_points"]) and s["CKMB_measurable"] == 0


def test_an_indicator_without_data_is_not_measured_not_zero_nor_full():
    # no tickets: 5.2 and 5.3 have no data; 2.1 at 100 % of 20 points is all that is measured
    s = score766.score(kpis(progress_on_time_rate=100)).loc["X"]
    assert math.isnan(s["5.2_points"]) and math.isnan(s["MDHL_points"]) and s["MDHL_measurable"] == 0
    assert (s["total"], s["measurable_points"], s["score_100"], s["band"]) == (20, 20, 100, "excellent")
    nothing = score766.score(kpis()).loc["X"]
    assert math.isnan(nothing["total"]) and nothing["measurable_points"] == 0 and nothing["band"] is None


@pytest.mark.parametrize(("score_100", "expected"), [(90, "excellent"), (89.99, "good"), (80, "good"),
                                                     (70, "fair"), (50, "average"), (49.9, "weak")])
def test_bands(score_100, expected):
    assert score766.band(score_100) == expected


def test_scores_by_period_rank_communes_among_communes(engine):
    rows = [dossier("a1", unit="26506", completed="2025-07-02 10:00", status="completed"),  # on time, full online
            dossier("b1", unit="26526", completed="2025-07-08 10:00", status="completed",     # late, direct
                    channel="direct", full_process_online=False),
            dossier("c1", unit="SO-TC", completed="2025-07-02 10:00", status="completed")]
    pipeline.pull(engine, given([("dossier", rows)]), until=at("2025-08-01 00:00"))
    period, s = score766.score_period(engine, "week", date(2025, 7, 9))
    assert (period.key, period.start, period.end) == ("2025-W28", date(2025, 7, 7), date(2025, 7, 13))
    period, s = score766.score_period(engine, "month", date(2025, 7, 9))
    assert period.key == "2025-07" and (s["level"] == "commune").sum() == 168
    # 26506: 2.1 100 % → 20, 3.x 100 % → 12, 4.1 0 % (no e-result) → 0, 4.2 0, 4.3 0 of 6+4+2 measured:
    # total 32 of 20 + 12 + 12 = 44 measurable → 72.7 "fair"; 26526: 0 + 0 + 0 → 0 of 44, "weak"
    a, b = s.loc["26506"], s.loc["26526"]
    assert (a["total"], a["measurable_points"]) == (32, 44) and a["band"] == "fair" and a["rank"] == 1
    assert (b["total"], b["measurable_points"], b["band"], b["rank"]) == (0, 44, "weak", 2)
    assert pd.isna(s.loc["26536", "rank"]) and pd.isna(s.loc["26536", "total"])  # no dossiers: not ranked
    assert s.loc["SO-TC", "level"] == "department" and s.loc["SO-TC", "rank"] == 1
    assert s.loc[CITY, "level"] == "city" and pd.isna(s.loc[CITY, "rank"])
    assert s.loc[CITY, "total"] == pytest.approx(20 * 2 / 3 + 12 * 2 / 3)
    for grain, key in (("quarter", "2025-Q3"), ("year", "2025")):
        assert score766.score_period(engine, grain, date(2025, 7, 9))[0].key == key
