"""Every KPI of the catalogue on hand-made records fed through the real pipeline, on SQLite and PostgreSQL.

The expected values are counted by hand in the comments next to each fixture. July 2025 has no holiday:
1/7 is a Tuesday, 5-6/7 a weekend. Tết 2026: 14/2 (Saturday) to 22/2 (Sunday) are days off.
"""
from __future__ import annotations

import json
import math
from datetime import date

import pytest
from click.testing import CliRunner

from ingest import pipeline
from metrics.frame import CITY, kpi_frame, measure_frame
from metrics.kpis import CATALOGUE, MEASURES
from tests.conftest import at
from tests.records import dossier, given, later, ticket

UNIT, OTHER, QUIET = "26506", "26536", "26526"
UNTIL = at("2026-03-01 00:00")
JULY_1_TO_9 = (date(2025, 7, 1), date(2025, 7, 9))

# Received 1/7 08:00 and due 3/7 17:00 unless given. Working days from 1/7: 2/7 = 1, 3/7 = 2, 4/7 = 3.
DOSSIERS = [
    # ended early (2/7 < due day 3/7); 1 working day; fee paid online, e-result, digitised, data reused
    dossier("early", completed="2025-07-02 10:00", status="completed", fee_bearing=True, paid_online=True,
            e_result=True, digitised=True, data_reused=True),
    # ended on the due day before 17:00: on time; 2 working days; fee not paid online; late intake (online)
    dossier("on_day", completed="2025-07-03 16:00", status="returned", fee_bearing=True, e_result=True,
            digitised=True, accepted_late=True),
    # ended the day after: late; 3 working days; direct channel (its accepted_late does not count: not online)
    dossier("late", completed="2025-07-04 09:00", status="completed", channel="direct", full_process_online=False,
            fee_bearing=True, accepted_late=True),
    # two supplement requests: late whatever the dates; 1 working day
    dossier("two_supplements", completed="2025-07-02 09:00", status="completed", supplement_requests=2,
            channel="direct", full_process_online=False),
    # one supplement request: still judged by its dates (early); 1 working day; online, not fully online
    dossier("one_supplement", completed="2025-07-02 09:00", status="completed", supplement_requests=1,
            full_process_online=False),
    # withdrawn: ended (early), but no result issued; 1 working day
    dossier("withdrawn", completed="2025-07-02 11:00", status="withdrawn"),
    # open at 9/7, due 15/7: within deadline; digitised
    dossier("open_within", received="2025-07-08 09:00", due="2025-07-15 17:00", digitised=True),
    # open at 9/7, due 3/7: overdue; digitised
    dossier("open_overdue", digitised=True),
    # open across the end of 1-9/7 (due 10/7), ends on its due day 10/7 (on time in the next period)
    dossier("across_end", received="2025-07-07 09:00", due="2025-07-10 17:00", completed="2025-07-10 10:00",
            status="completed"),
    # open with two supplement requests (due far away): overdue at the period's end by the portal's rule
    dossier("open_two_supplements", received="2025-07-08 09:00", due="2025-07-20 17:00", supplement_requests=2,
            status="supplement_requested"),
]
# Period 1-9/7 at UNIT: received 10 (online 8, fully online 7, fee-bearing 3 of which paid online 1,
# digitised 4, data reused 1, late intake 1 of 8 online); ended 6 (early: early, one_supplement, withdrawn = 3;
# on the due day: on_day = 1; late: late, two_supplements = 2); processed 5, e-result 2;
# working days 1, 2, 3, 1, 1, 1 → sum 9, mean 1.5, median 1; open at 9/7: open_within, open_overdue,
# across_end, open_two_supplements = 4, overdue: open_overdue, open_two_supplements = 2, within 2.

TICKETS = [
    ticket("t_on_time", received="2025-07-01 09:00", due="2025-07-22 17:00", closed="2025-07-03 10:00", rating=5),
    ticket("t_negative", received="2025-07-01 09:00", due="2025-07-22 17:00", closed="2025-07-04 10:00", rating=2),
    ticket("t_reopened", received="2025-07-01 09:00", due="2025-07-22 17:00", closed="2025-07-08 10:00",
           reopened=True),
    ticket("t_late", received="2025-07-01 09:00", due="2025-07-02 17:00", closed="2025-07-07 10:00"),
    ticket("t_open_within", received="2025-07-02 09:00", due="2025-07-22 17:00"),
    ticket("t_open_overdue", received="2025-07-02 09:00", due="2025-07-08 17:00", status="in_progress"),
    ticket("t_unplaced", unit=None, lat=10.77, long=106.70, received="2025-07-02 09:00", due="2025-07-22 17:00"),
]
# Period 1-9/7, UNIT: received 6; closed 4, on time 3 (t_late is late); reopened 1; unsatisfactory 3
# (t_negative, t_reopened, t_late); open at 9/7: 2, overdue 1 (t_open_overdue), within 1.
# City: one more ticket (unplaced, open within deadline).

DOCUMENTS = [
    {"unit_code": UNIT, "day": date(2025, 7, 2), "direction": "incoming", "total": 10, "electronic": 8,
     "digitally_signed": 5},
    {"unit_code": UNIT, "day": date(2025, 7, 3), "direction": "outgoing", "total": 10, "electronic": 10,
     "digitally_signed": 10},
]


@pytest.fixture
def loaded(engine):
    result = pipeline.pull(engine, given([("dossier", DOSSIERS), ("ticket", TICKETS),
                                          ("document_count", DOCUMENTS)]), until=UNTIL)
    assert result.status == "ok" and result.rows_quarantined == 0
    return engine


def test_every_kpi_of_a_commune_by_hand(loaded):
    row = kpi_frame(loaded, *JULY_1_TO_9).loc[UNIT]
    expected = {
        "dossiers_received": 10, "dossiers_completed": 6, "dossiers_open": 4,
        "on_time_rate": 4 / 6 * 100, "progress_on_time_rate": (4 + 2) / (6 + 4) * 100,
        "dossiers_completed_early": 3, "dossiers_completed_on_time": 1, "dossiers_completed_late": 2,
        "dossiers_open_within_deadline": 2, "dossiers_open_overdue": 2,
        "processing_days_mean": 1.5, "processing_days_median": 1,
        "online_share": 80, "full_online_share": 70, "e_result_share": 40, "digitised_share": 40,
        "data_reused_share": 10, "paid_online_share": 100 / 3, "late_intake_share": 12.5,
        "tickets_received": 6, "tickets_open": 2, "tickets_open_overdue": 1, "tickets_on_time_rate": 75,
        "tickets_handled_on_time_rate": (3 + 1) / (4 + 2) * 100, "tickets_reopened": 1,
        "tickets_satisfaction": (4 - 3 + 1) / (4 + 2) * 100,
        "documents_total": 20, "documents_electronic_share": 90, "documents_signed_share": 75,
        # 7 working days in 1-9/7; dossiers received on 1/7, 7/7 and 8/7 only; idle 2/7-4/7 = 3 working days
        "active_working_days_share": 3 / 7 * 100, "communes_active_every_working_day": 0,
        "communes_receiving_online": 1, "longest_idle_working_days": 3,
    }
    assert set(expected) == set(CATALOGUE), "every KPI of the catalogue is checked here"
    for kpi_id, value in expected.items():
        assert row[kpi_id] == pytest.approx(value), kpi_id


def test_a_dossier_open_across_the_period_end_counts_in_both_periods(loaded):
    july_10 = kpi_frame(loaded, date(2025, 7, 10), date(2025, 7, 10)).loc[UNIT]
    # across_end ends on its due day: on time; open at 10/7: open_within (due 15/7), open_overdue,
    # open_two_supplements → 3, of which 2 overdue
    assert (july_10["dossiers_completed"], july_10["dossiers_completed_on_time"]) == (1, 1)
    assert (july_10["dossiers_open"], july_10["dossiers_open_overdue"]) == (3, 2)
    assert july_10["progress_on_time_rate"] == pytest.approx((1 + 1) / (1 + 3) * 100)
    assert math.isnan(july_10["online_share"])  # nothing received on 10/7: no data, not 0 %


def test_open_dossiers_fall_due_after_the_newest_record(loaded):
    # The newest rollup day is 10/7; by 20/7 open_within (due 15/7) is overdue too, with no record arriving.
    row = kpi_frame(loaded, date(2025, 7, 16), date(2025, 7, 20)).loc[UNIT]
    assert (row["dossiers_open"], row["dossiers_open_overdue"], row["dossiers_open_within_deadline"]) == (3, 3, 0)
    tickets = kpi_frame(loaded, date(2025, 7, 23), date(2025, 7, 23)).loc[UNIT]
    assert (tickets["tickets_open"], tickets["tickets_open_overdue"]) == (2, 2)  # t_open_within was due 22/7


def test_a_later_version_moving_the_due_date_moves_the_backlog(engine):
    v1 = dossier("D", received="2025-07-01 08:00", due="2025-07-03 17:00")
    pipeline.pull(engine, given([("dossier", [v1])]), until=UNTIL)
    assert kpi_frame(engine, *JULY_1_TO_9).loc[UNIT, "dossiers_open_overdue"] == 1
    # a supplement wait pushes the appointment to 11/7 (the portal excludes the waiting time)
    v2 = later(v1, due_at=at("2025-07-11 17:00"), supplement_requests=1, status="supplement_requested")
    pipeline.pull(engine, given([("dossier", [v2])]), until=UNTIL)
    row = kpi_frame(engine, *JULY_1_TO_9).loc[UNIT]
    assert (row["dossiers_open"], row["dossiers_open_overdue"], row["dossiers_open_within_deadline"]) == (1, 0, 1)


def test_the_city_sums_units_and_takes_medians_and_maxima_of_its_own(loaded):
    pipeline.pull(loaded, given([("dossier", [
        dossier("o1", unit=OTHER, completed="2025-07-04 09:00", status="completed"),   # 3 working days
        dossier("o2", unit=OTHER, completed="2025-07-07 09:00", status="completed", due="2025-07-08 17:00"),  # 4
    ])], name="other"), until=UNTIL)
    city = kpi_frame(loaded, *JULY_1_TO_9).loc[CITY]
    assert city["dossiers_received"] == 12 and city["dossiers_completed"] == 8
    # durations 1, 2, 3, 1, 1, 1, 3, 4 → sorted 1 1 1 1 2 3 3 4: lower median 1; mean 16 / 8
    assert (city["processing_days_median"], city["processing_days_mean"]) == (1, 2)
    assert city["on_time_rate"] == pytest.approx((4 + 1) / 8 * 100)  # o1 late, o2 early
    # the unplaced ticket counts for the city only
    assert (city["tickets_received"], city["tickets_open"]) == (7, 3)
    # OTHER received only on 1/7: 6 idle working days; the 166 communes without intake: all 7, the city's value
    assert kpi_frame(loaded, *JULY_1_TO_9).loc[OTHER, "longest_idle_working_days"] == 6
    assert city["longest_idle_working_days"] == 7
    assert city["communes_receiving_online"] == 2 and city["communes_active_every_working_day"] == 0


def test_a_commune_without_dossiers_shows_no_data_never_zero(loaded):
    frame = kpi_frame(loaded, *JULY_1_TO_9)
    quiet = frame.loc[QUIET]
    for kpi_id, kpi in CATALOGUE.items():
        if kpi.unit == "percent" and kpi_id != "active_working_days_share":
            assert math.isnan(quiet[kpi_id]), kpi_id
    assert math.isnan(quiet["dossiers_received"]) and math.isnan(quiet["processing_days_median"])
    # continuity is a fact about the commune, not a rate of its dossiers: no intake on any working day
    assert quiet["active_working_days_share"] == 0 and quiet["longest_idle_working_days"] == 7
    assert frame.drop(index=[CITY, UNIT, ""], errors="ignore")["on_time_rate"].isna().all()


def test_processing_time_across_tet_counts_working_days_only(engine):
    rows = [
        # 12/2/2026 (Thu) → 24/2 (Tue): working days 13/2, 23/2, 24/2 = 3 (14-22/2 are days off)
        dossier("tet", received="2026-02-12 09:00", due="2026-02-25 17:00", completed="2026-02-24 10:00",
                status="completed"),
        # 13/2 (Fri) → 23/2 (Mon): 1 working day
        dossier("tet2", received="2026-02-13 09:00", due="2026-02-25 17:00", completed="2026-02-23 10:00",
                status="completed"),
    ]
    pipeline.pull(engine, given([("dossier", rows)]), until=UNTIL)
    row = kpi_frame(engine, date(2026, 2, 1), date(2026, 2, 28)).loc[UNIT]
    assert row["processing_days_mean"] == 2 and row["dossiers_completed_early"] == 2
    measures = measure_frame(engine, date(2026, 2, 1), date(2026, 2, 28)).loc[UNIT]
    assert measures["completed_working_days"] == 4
    # February 2026: 20 weekdays minus 16-20/2 = 15 working days; intake on 12/2 and 13/2 only
    assert measures["working_days"] == 15 and measures["active_working_days"] == 2


def test_every_measure_is_documented():
    used = {m for kpi in CATALOGUE.values() for m in (*kpi.numerator, *kpi.denominator)}
    assert used <= set(MEASURES)
    for kpi in CATALOGUE.values():
        assert kpi.name_vi and kpi.name_en and kpi.definition_vi and kpi.definition_en and kpi.source, kpi.id


def test_cli_prints_the_kpi_frame(loaded, db_url, monkeypatch):
    from cli import cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    out = CliRunner().invoke(cli, ["kpis", "--scope", UNIT, "--from", "2025-07-01", "--to", "2025-07-09", "--json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.output)
    assert printed["scope"] == UNIT and printed["kpis"]["dossiers_received"]["value"] == 10
    assert printed["kpis"]["online_share"]["value"] == 80
    city = json.loads(CliRunner().invoke(cli, ["kpis", "--scope", "city", "--from", "2025-07-01", "--to",
                                               "2025-07-09", "--json"]).output)
    assert city["kpis"]["tickets_received"]["value"] == 7
    quiet = json.loads(CliRunner().invoke(cli, ["kpis", "--scope", QUIET, "--from", "2025-07-01", "--to",
                                                "2025-07-09", "--json"]).output)
    assert quiet["kpis"]["on_time_rate"]["value"] is None  # no data is null in JSON, never 0
    bad = CliRunner().invoke(cli, ["kpis", "--scope", "99999", "--from", "2025-07-01", "--to", "2025-07-09"])
    assert bad.exit_code != 0 and "99999" in bad.output
