"""Early warning: open dossiers due by the next working day (across Tết) and those overdue, per commune."""
from __future__ import annotations

from ingest import pipeline
from metrics.early_warning import early_warning, early_warning_summary
from tests.conftest import at
from tests.records import dossier, given

UNIT, OTHER = "26506", "26526"
# Friday 13/2/2026 15:00, the last working day before Tết: the next working day is Monday 23/2.
AS_OF = at("2026-02-13 15:00")


def test_due_by_the_next_working_day_across_tet_and_overdue(engine):
    rows = [
        dossier("overdue", received="2026-02-02 09:00", due="2026-02-11 17:00"),           # 2 working days late
        dossier("due_today", received="2026-02-10 09:00", due="2026-02-13 17:00"),         # later today
        dossier("due_after_tet", received="2026-02-10 09:00", due="2026-02-23 17:00"),     # next working day
        dossier("due_later", received="2026-02-10 09:00", due="2026-02-24 17:00"),         # not yet a worry
        dossier("two_supplements", received="2026-02-10 09:00", due="2026-03-10 17:00", supplement_requests=2,
                status="supplement_requested"),                                            # late by the rule
        dossier("done", received="2026-02-02 09:00", due="2026-02-11 17:00", completed="2026-02-12 09:00",
                status="completed"),                                                       # ended: not listed
        dossier("other_overdue", unit=OTHER, received="2026-02-02 09:00", due="2026-02-12 17:00"),
    ]
    pipeline.pull(engine, given([("dossier", rows)]), until=at("2026-02-14 00:00"))
    listed = early_warning(engine, AS_OF, UNIT)
    assert listed["dossier_id"].tolist() == ["overdue", "two_supplements", "due_today", "due_after_tet"]
    assert listed["state"].tolist() == ["overdue", "overdue", "due_next_working_day", "due_next_working_day"]
    assert listed["working_days_overdue"].tolist() == [2, 0, 0, 0]
    assert (listed["commune"] == "Phường Vũng Tàu").all()
    # the day before, Thursday 12/2: the next working day is Friday 13/2, so due_after_tet is not listed yet
    assert "due_after_tet" not in early_warning(engine, at("2026-02-12 10:00"), UNIT)["dossier_id"].tolist()

    summary = early_warning_summary(engine, AS_OF)
    assert len(summary) == 168
    assert summary.loc[UNIT, ["overdue", "due_next_working_day"]].tolist() == [2, 2]
    assert summary.loc[OTHER, ["overdue", "due_next_working_day"]].tolist() == [1, 0]
    assert summary.index[0] == UNIT  # the most overdue first
    assert summary.drop(index=[UNIT, OTHER])[["overdue", "due_next_working_day"]].eq(0).all().all()
