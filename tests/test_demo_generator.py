"""The demo generator: determinism, contracts, state as of a time, and calibration on KPIS.md §4."""
from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.communes import communes_frame  # noqa: E402
from ingest.contracts import Dossier, DocumentCount, Ticket  # noqa: E402
from ingest.demo.generator import DEMO_START, LOCAL, DemoCity  # noqa: E402
from metrics.calendar import add_working_days, is_working_day  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"
DOSSIER_COLUMNS = ["dossier_id", "unit_code", "procedure_code", "procedure_name", "sector", "channel",
                   "full_process_online", "received_at", "due_at", "supplement_at", "supplement_requests",
                   "resumed_at", "completed_at", "final_status", "returned_at", "fee_bearing", "paid_online",
                   "e_result", "digitised", "data_reused", "accepted_late"]
EVENT_COLUMNS = ["received_at", "supplement_at", "resumed_at", "completed_at", "returned_at"]
A_MONDAY = date(2025, 10, 6)
A_WEDNESDAY = date(2025, 10, 8)


def days(first: date, last: date, step: int = 1) -> list[date]:
    return [first + timedelta(days=i) for i in range(0, (last - first).days + 1, step)]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def on_time(frame: pd.DataFrame) -> pd.Series:
    """The portal's rule (KPIS.md §3): ended by the appointment, and at most one supplement request."""
    return (frame["completed_at"] <= frame["due_at"]) & (frame["supplement_requests"] < 2)


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    return communes_frame()


@pytest.fixture(scope="module")
def departments() -> pd.DataFrame:
    return pd.read_csv(ROOT / "store" / "reference" / "departments.csv")


@pytest.fixture(scope="module")
def commune_codes(communes) -> set[str]:
    return set(communes["code"].astype(str))


@pytest.fixture(scope="module")
def city(communes, departments) -> DemoCity:
    return DemoCity(communes, departments)


@pytest.fixture(scope="module")
def august(city) -> pd.DataFrame:
    return pd.concat([city.dossiers(d) for d in days(date(2025, 8, 1), date(2025, 8, 31))], ignore_index=True)


@pytest.fixture(scope="module")
def report_sample(city) -> pd.DataFrame:
    """Every 4th day of the HCMC report's window (27/6-14/12/2025; the demo starts on 1/7)."""
    return pd.concat([city.dossiers(d) for d in days(DEMO_START, date(2025, 12, 14), 4)], ignore_index=True)


@pytest.fixture(scope="module")
def october_tickets(city) -> pd.DataFrame:
    return pd.concat([city.tickets(d) for d in days(date(2025, 10, 1), date(2025, 10, 31))], ignore_index=True)


# ---------------------------------------------------------------------------------------------- interface


def test_dossier_frame_has_the_agreed_columns_and_zones(city):
    frame = city.dossiers(A_MONDAY)
    assert list(frame.columns) == DOSSIER_COLUMNS
    for col in EVENT_COLUMNS + ["due_at"]:
        assert str(frame[col].dt.tz) == TZ, col
    assert set(frame["final_status"]) <= {"completed", "returned", "withdrawn", "rejected"}
    assert set(frame["channel"]) <= {"direct", "online", "postal"}
    assert frame["received_at"].dt.date.eq(A_MONDAY).all()
    assert frame["dossier_id"].is_unique


def test_nothing_before_the_demo_starts(city):
    assert city.dossiers(DEMO_START - timedelta(days=1)).empty
    assert city.tickets(DEMO_START - timedelta(days=1)).empty
    assert len(city.dossiers(DEMO_START)) > 0


# ---------------------------------------------------------------------------------------------- determinism


def test_same_day_is_identical_whatever_was_generated_before(communes, departments):
    first = DemoCity(communes, departments, scale=0.3)
    second = DemoCity(communes, departments, scale=0.3)
    day = date(2025, 9, 15)
    a = first.dossiers(day)
    for other in (date(2025, 9, 14), date(2025, 11, 3), date(2026, 2, 18)):
        second.dossiers(other)
        second.tickets(other)
        second.document_counts(other)
    pd.testing.assert_frame_equal(a, second.dossiers(day))
    pd.testing.assert_frame_equal(first.tickets(day), second.tickets(day))
    assert first.document_counts(day) == second.document_counts(day)
    as_of = local(2025, 10, 1, 12)
    assert first.dossier_versions(day, as_of) == second.dossier_versions(day, as_of)
    assert first.ticket_versions(day, as_of) == second.ticket_versions(day, as_of)


def test_a_different_seed_gives_a_different_city(communes, departments):
    day = date(2025, 9, 15)
    a = DemoCity(communes, departments, scale=0.3).dossiers(day)
    b = DemoCity(communes, departments, seed=7, scale=0.3).dossiers(day)
    assert len(a) != len(b) or not a["received_at"].equals(b["received_at"])


def test_scale_multiplies_volumes(communes, departments, city):
    small = DemoCity(communes, departments, scale=0.1)
    full = len(city.dossiers(A_MONDAY))
    assert abs(len(small.dossiers(A_MONDAY)) / full - 0.1) < 0.01


# ---------------------------------------------------------------------------------------------- contracts


@pytest.mark.parametrize("as_of", [local(2025, 10, 6, 11), local(2025, 10, 9, 9), local(2026, 3, 1)])
def test_every_version_row_validates(city, as_of):
    rows = city.dossier_versions(A_MONDAY, as_of)
    assert rows and set(rows[0]) == set(Dossier.model_fields)
    for row in rows:
        Dossier.model_validate(row)
    tickets = city.ticket_versions(A_MONDAY, as_of)
    assert tickets and set(tickets[0]) == set(Ticket.model_fields)
    for row in tickets:
        Ticket.model_validate(row)


def test_document_counts_cover_every_unit_and_direction(city, communes, departments):
    rows = city.document_counts(A_MONDAY)
    units = set(communes["code"].astype(str)) | set(departments["code"])
    assert {(r["unit_code"], r["direction"]) for r in rows} == {(u, d) for u in units for d in ("incoming", "outgoing")}
    assert len(rows) == 2 * len(units)
    for row in rows:
        DocumentCount.model_validate(row)


# ---------------------------------------------------------------------------------------------- state as of T


@pytest.mark.parametrize("as_of", [local(2025, 10, 6, 9, 30), local(2025, 10, 7, 16), local(2025, 10, 20, 10)])
def test_state_as_of_never_shows_a_later_event(city, as_of):
    frame = city.dossiers(A_MONDAY).set_index("dossier_id")
    rows = city.dossier_versions(A_MONDAY, as_of)
    assert len(rows) == (frame["received_at"] <= as_of).sum()
    versions = pd.DataFrame(rows).set_index("dossier_id")
    assert (versions["updated_at"] <= as_of).all()
    assert (versions["received_at"] <= as_of).all()
    assert versions["completed_at"].dropna().le(as_of).all()
    ev = frame.loc[versions.index]
    status = versions["status"]
    assert (ev["completed_at"][status.isin(["completed", "returned", "withdrawn", "rejected"])] <= as_of).all()
    assert (ev["completed_at"][status.isin(["received", "supplement_requested"])] > as_of).all()
    assert (ev["returned_at"][status == "returned"] <= as_of).all()
    assert (ev["supplement_at"][status == "supplement_requested"] <= as_of).all()
    assert (versions["supplement_requests"] <= ev["supplement_requests"]).all()
    assert (versions["supplement_requests"][ev["supplement_at"].isna() | (ev["supplement_at"] > as_of)] == 0).all()
    assert not versions["e_result"][~status.isin(["completed", "returned"])].any()
    # A wait pushes the appointment only once the citizen has supplied.
    pushed = versions["due_at"] > ev["due_at"] - (ev["resumed_at"] - ev["supplement_at"]).fillna(pd.Timedelta(0))
    assert (ev["resumed_at"][pushed] <= as_of).all()
    assert {"received", "supplement_requested"} & set(status) and {"completed", "returned"} & set(status)


def test_state_after_the_lifetime_is_the_final_state(city):
    frame = city.dossiers(A_MONDAY).set_index("dossier_id")
    late = local(2025, 10, 7) + timedelta(days=city.max_dossier_lifetime_days)
    versions = pd.DataFrame(city.dossier_versions(A_MONDAY, late)).set_index("dossier_id").loc[frame.index]
    assert (versions["status"] == frame["final_status"]).all()
    assert (versions["completed_at"] == frame["completed_at"]).all()
    assert (versions["due_at"] == frame["due_at"]).all()
    assert (versions["supplement_requests"] == frame["supplement_requests"]).all()
    last = frame[EVENT_COLUMNS].max(axis=1)
    assert (versions["updated_at"] == last).all()


def test_ticket_state_as_of(city):
    frame = city.tickets(A_MONDAY).set_index("ticket_id")
    as_of = local(2025, 10, 20, 12)
    versions = pd.DataFrame(city.ticket_versions(A_MONDAY, as_of)).set_index("ticket_id")
    assert (versions["updated_at"] <= as_of).all()
    closed = versions["status"] == "closed"
    assert versions.loc[closed, "closed_at"].notna().all() and versions.loc[~closed, "closed_at"].isna().all()
    assert versions["closed_at"].dropna().le(as_of).all()
    assert {"closed", "in_progress"} <= set(versions["status"])
    ev = frame.loc[versions.index]
    assert (ev["reopened_at"][versions["reopened"]] <= as_of).all()
    rated = versions["rating"].notna()
    assert (ev["rated_at"][rated] <= as_of).all()
    assert (ev["assigned_at"][versions["status"] == "open"] > as_of).all()


def test_changed_since_keeps_only_later_updates(city):
    as_of, since = local(2025, 10, 9, 12), local(2025, 10, 8, 12)
    everything = city.dossier_versions(A_MONDAY, as_of)
    changed = city.dossier_versions(A_MONDAY, as_of, changed_since=since)
    assert changed and len(changed) < len(everything)
    assert all(r["updated_at"] > since for r in changed)
    assert {r["dossier_id"] for r in changed} == {r["dossier_id"] for r in everything if r["updated_at"] > since}
    tickets = city.ticket_versions(A_MONDAY, as_of, changed_since=since)
    assert tickets and all(r["updated_at"] > since for r in tickets)
    assert city.dossier_versions(A_MONDAY, as_of, changed_since=as_of) == []


def test_naive_times_are_refused(city):
    with pytest.raises(ValueError):
        city.dossier_versions(A_MONDAY, datetime(2025, 10, 7))


def test_lifetimes_stay_within_the_announced_bounds(city, report_sample):
    life = report_sample[EVENT_COLUMNS].max(axis=1) - report_sample["received_at"]
    assert life.max() <= pd.Timedelta(days=city.max_dossier_lifetime_days)
    assert life.max() > pd.Timedelta(days=20)  # the bound is for something real
    tickets = pd.concat([city.tickets(d) for d in days(date(2026, 1, 20), date(2026, 2, 20), 3)])
    events = ["received_at", "assigned_at", "first_closed_at", "reopened_at", "closed_at", "rated_at"]
    ticket_life = tickets[events].max(axis=1) - tickets["received_at"]
    assert ticket_life.max() <= pd.Timedelta(days=city.max_ticket_lifetime_days)


# ---------------------------------------------------------------------------------------------- calendar


def test_appointments_follow_the_working_day_calendar(city):
    frame = city.dossiers(date(2026, 2, 6))  # a Friday before Tết: periods run across the holiday
    plain = frame[frame["supplement_at"].isna()].sample(300, random_state=1)
    for received, due, code in zip(plain["received_at"], plain["due_at"], plain["procedure_code"]):
        n = int(city.catalogue.set_index("code").at[code, "due_working_days"])
        start = received.date()
        if not is_working_day(start) or received.hour >= 16:
            start = add_working_days(start, 1)
        assert due.date() == add_working_days(start, n)
        assert is_working_day(due.date())


def test_weekly_rhythm(city, august):
    by_day = august.groupby(august["received_at"].dt.date).size()
    weekday = pd.Series({d: d.weekday() for d in by_day.index})
    working = by_day[weekday < 5]
    assert by_day[weekday == 6].max() < 0.10 * working.mean()
    assert 0.15 <= by_day[weekday == 5].mean() / working.mean() <= 0.25
    means = working.groupby(weekday[weekday < 5]).mean()
    assert means.idxmax() == 0  # Monday highest
    sunday = august[august["received_at"].dt.day_of_week == 6]
    assert (sunday["channel"] == "online").all()


def test_holidays_and_tet(city):
    normal = np.mean([len(city.dossiers(d)) for d in (date(2026, 1, 13), date(2026, 1, 14))])
    holiday = city.dossiers(date(2025, 9, 2))
    assert len(holiday) < 0.05 * normal and (holiday["channel"] == "online").all()
    assert len(city.dossiers(date(2026, 2, 18))) < 0.01 * normal  # Tết
    assert len(city.dossiers(date(2026, 2, 11))) > 1.05 * normal  # the rush before
    assert len(city.dossiers(date(2026, 2, 23))) < 0.7 * normal  # the slow restart


# ---------------------------------------------------------------------------------------------- calibration


def test_august_2025_volumes(august, commune_codes):
    assert abs(len(august) / 452_000 - 1) <= 0.10
    at_commune = august["unit_code"].isin(commune_codes)
    assert abs(at_commune.mean() - 0.62) <= 0.05
    per_commune_day = at_commune.sum() / len(commune_codes) / 31
    assert abs(per_commune_day / 60 - 1) <= 0.10


def test_heavy_tails(city, commune_codes):
    frame = city.dossiers(A_WEDNESDAY)
    per_unit = frame["unit_code"].value_counts()
    communes = per_unit[per_unit.index.isin(commune_codes)]
    assert communes.max() > 200
    assert communes.max() > 2.5 * communes.median()
    departments = per_unit[~per_unit.index.isin(commune_codes)]
    assert departments.max() > 10 * departments.median()


def test_first_two_weeks_ramp_up(city, commune_codes):
    frames = pd.concat([city.dossiers(d) for d in days(DEMO_START, date(2025, 7, 14))])
    assert abs(len(frames) / 115_000 - 1) <= 0.10
    assert abs(frames["unit_code"].isin(commune_codes).sum() / 71_000 - 1) <= 0.10
    docs = sum(r["total"] for d in days(DEMO_START, date(2025, 7, 14)) for r in city.document_counts(d))
    assert abs(docs / 12_000 - 1) <= 0.20
    tickets = sum(len(city.tickets(d)) for d in days(DEMO_START, date(2025, 7, 14)))
    assert abs(tickets / 4_200 - 1) <= 0.15


def test_online_and_on_time_over_the_report_window(report_sample):
    online = report_sample["channel"] == "online"
    assert abs(online.mean() - 0.68) <= 0.05
    assert abs(on_time(report_sample).mean() - 0.962) <= 0.015
    early = report_sample["completed_at"].dt.date < report_sample["due_at"].dt.date
    assert early.mean() > 0.5  # most resolved early
    requests = report_sample["supplement_requests"].value_counts(normalize=True)
    assert abs(requests.get(1, 0) - 0.08) <= 0.01 and abs(requests.get(2, 0) - 0.015) <= 0.005
    twice = report_sample[report_sample["supplement_requests"] == 2]
    assert (twice["completed_at"] > twice["due_at"]).mean() > 0.7
    status = report_sample["final_status"].value_counts(normalize=True)
    assert abs(status["withdrawn"] - 0.01) <= 0.003 and abs(status["rejected"] - 0.01) <= 0.003
    accepted_late = report_sample.loc[online, "accepted_late"].mean()
    assert 0.01 <= accepted_late <= 0.02


def test_units_differ_in_quality(report_sample, commune_codes):
    communes = report_sample[report_sample["unit_code"].isin(commune_codes)]
    per_unit = on_time(communes).groupby(communes["unit_code"]).mean()
    assert per_unit.quantile(0.9) - per_unit.quantile(0.1) > 0.03


def test_digital_rates_rise_toward_plan_02(city):
    def sample(first, last):
        return pd.concat([city.dossiers(d) for d in days(first, last, 3)])

    start, late_2025, late_2026 = (sample(date(2025, 7, 1), date(2025, 7, 20)),
                                   sample(date(2025, 12, 1), date(2025, 12, 20)),
                                   sample(date(2026, 12, 1), date(2026, 12, 20)))
    fully_online = late_2025["full_process_online"].mean()
    assert 0.40 <= fully_online <= 0.50
    assert late_2026["full_process_online"].mean() > fully_online + 0.05
    assert (start["channel"] == "online").mean() < 0.65 < 0.75 < (late_2026["channel"] == "online").mean()
    for flag in ("e_result", "digitised", "data_reused"):
        assert start[flag].mean() < late_2025[flag].mean() < late_2026[flag].mean(), flag
    paid = [f.loc[f["fee_bearing"], "paid_online"].mean() for f in (start, late_2025, late_2026)]
    assert paid[0] < paid[1] < paid[2]


def test_hotline_month(october_tickets):
    assert 13_400 * 0.95 <= len(october_tickets) <= 14_700 * 1.05
    closed_on_time = (october_tickets["closed_at"] <= october_tickets["due_at"]).mean()
    assert 0.938 <= closed_on_time <= 0.974
    shares = october_tickets["category"].value_counts(normalize=True)
    assert abs(shares["Thủ tục hành chính, dịch vụ công"] - 0.43) <= 0.05
    assert shares.index[1].startswith("Hạ tầng đô thị")
    channels = october_tickets["channel"].value_counts()
    assert channels.idxmax() == "phone" and set(channels.index) == {"phone", "app", "web", "zalo", "email"}
    assert abs(october_tickets["reopened"].mean() - 0.02) <= 0.01
    rated = october_tickets["rating"] > 0
    assert 0.2 <= rated.mean() <= 0.5 and october_tickets.loc[rated, "rating"].between(1, 5).all()
    due_gap = october_tickets["due_at"].dt.date - october_tickets["received_at"].dt.date
    assert due_gap.min() >= timedelta(days=21)  # 15 working days


def test_documents_are_mostly_electronic_and_quiet_on_days_off(city):
    week = [r for d in days(date(2025, 10, 6), date(2025, 10, 10)) for r in city.document_counts(d)]
    total = sum(r["total"] for r in week)
    electronic = sum(r["electronic"] for r in week) / total
    signed = sum(r["digitally_signed"] for r in week) / total
    assert electronic >= 0.95 and 0.85 <= signed < electronic
    sunday = sum(r["total"] for r in city.document_counts(date(2025, 10, 12)))
    assert sunday < 0.03 * total / 5
    later = city.document_counts(date(2026, 10, 7))
    assert sum(r["digitally_signed"] for r in later) / sum(r["total"] for r in later) > signed


# ---------------------------------------------------------------------------------------------- identifiers, privacy


def test_identifiers_are_deterministic_and_unique(city, report_sample):
    assert report_sample["dossier_id"].is_unique
    pattern = re.compile(r"^[0-9A-Z.\-]+-\d{6}-\d{5}$")
    assert report_sample["dossier_id"].str.match(pattern).all()
    row = report_sample.iloc[0]
    assert row["dossier_id"].startswith(f"{row['unit_code']}-{row['received_at']:%y%m%d}-")
    tickets = city.tickets(A_MONDAY)
    assert tickets["ticket_id"].is_unique and tickets["ticket_id"].str.startswith("H-251006-").all()


def test_no_personal_data(city):
    as_of = local(2025, 10, 20)
    rows = city.dossier_versions(A_MONDAY, as_of) + city.ticket_versions(A_MONDAY, as_of)
    texts = [v for r in rows for k, v in r.items() if isinstance(v, str) and k not in ("dossier_id", "ticket_id")]
    ids = [r.get("dossier_id") or r["ticket_id"] for r in rows]
    assert texts and ids
    assert not any("@" in t for t in texts + ids)
    assert not any(re.search(r"\d{9,}", t) for t in texts + ids)
    assert all(r["lat"] is None and r["long"] is None for r in rows if "ticket_id" in r)
