"""The pull pipeline on SQLite and PostgreSQL: validation, quarantine, versioned upserts, rollups."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from ingest import pipeline
from ingest.contracts import RecordKind
from metrics.frame import CITY, kpi_frame
from store.schema import dossier_daily, dossiers, quarantine, source_states, ticket_daily, tickets
from store.writes import Prepared
from tests.conftest import at
from tests.records import dossier, given, later, ticket

UNTIL = at("2025-07-10 00:00")


def count(engine, table, *where):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_bad_rows_are_quarantined_with_their_reason_and_nothing_else_is_lost(engine):
    rows = [
        dossier("D1", completed="2025-07-02 10:00", status="completed"),
        dossier("D2"),
        dossier("D3", unit_code="not a code"),                      # pattern
        {**dossier("D4"), "received_at": "2025-07-01T08:00:00"},    # naive time
        dossier("D5", status="completed"),                           # ended without completed_at
        {"dossier_id": "D6"},                                         # fields missing
    ]
    result = pipeline.pull(engine, given([("dossier", rows)]), until=UNTIL)
    assert (result.status, result.rows_read, result.rows_stored, result.rows_quarantined) == ("ok", 6, 2, 4)
    with engine.connect() as conn:
        held = conn.execute(select(quarantine.c.raw, quarantine.c.reason).order_by(quarantine.c.id)).all()
    assert [json.loads(raw)["dossier_id"] for raw, _ in held] == ["D3", "D4", "D5", "D6"]
    reasons = [reason for _, reason in held]
    assert "unit_code" in reasons[0] and "timezone" in reasons[1]
    assert "without completed_at" in reasons[2] and "received_at: Field required" in reasons[3]
    assert count(engine, dossiers) == 2


def test_same_pull_twice_stores_the_same_counts(engine):
    source = given([("dossier", [dossier(f"D{i}") for i in range(50)]),
                    ("ticket", [ticket(f"T{i}") for i in range(7)])])
    first = pipeline.pull(engine, source, until=UNTIL)
    again = pipeline.pull(engine, source, until=UNTIL)
    assert first.rows_stored == 57 and again.rows_stored == 0  # equal versions never replace
    assert count(engine, dossiers) == 50 and count(engine, tickets) == 7
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(dossier_daily.c.received))).scalar_one() == 50
        assert conn.execute(select(func.sum(ticket_daily.c.received))).scalar_one() == 7


def test_newer_version_replaces_older_never_the_reverse_and_rollups_follow(engine):
    v1 = dossier("D1", due="2025-07-03 17:00")
    v2 = later(v1, status="completed", completed_at=at("2025-07-04 09:00"), updated_at=at("2025-07-04 09:00"))
    pipeline.pull(engine, given([("dossier", [v1])]), until=UNTIL)
    pipeline.pull(engine, given([("dossier", [v2])]), until=UNTIL)
    pipeline.pull(engine, given([("dossier", [v1])]), until=UNTIL)  # a stale re-delivery
    with engine.connect() as conn:
        status, completed_day = conn.execute(select(dossiers.c.status, dossiers.c.completed_day)).one()
        late = conn.execute(select(func.sum(dossier_daily.c.completed_late))
                            .where(dossier_daily.c.day == date(2025, 7, 4))).scalar_one()
    assert (status, completed_day, late) == ("completed", date(2025, 7, 4), 1)
    assert count(engine, dossiers) == 1


def test_watermark_moves_only_after_a_whole_pull(engine):
    pipeline.pull(engine, given([("dossier", [dossier("D1")])]), until=UNTIL)
    broken = given([("dossier", [dossier("D2")]), ("no_such_kind", [])])
    result = pipeline.pull(engine, broken, until=at("2025-07-11 00:00"))
    assert result.status == "failed"
    with engine.connect() as conn:
        watermark, error = conn.execute(select(source_states.c.watermark, source_states.c.last_error)).one()
    assert watermark == UNTIL and "no_such_kind" in error
    assert count(engine, dossiers) == 2  # the committed batch stays; the pull is simply done again


def test_on_time_rate_by_the_portal_rule_and_no_data_is_not_zero(engine):
    rows = [
        dossier("early", completed="2025-07-02 10:00", status="completed"),
        dossier("on_day", completed="2025-07-03 16:00", status="completed"),
        dossier("late", completed="2025-07-04 09:00", status="completed"),
        dossier("two_supplements", completed="2025-07-02 09:00", status="completed", supplement_requests=2),
        dossier("one_supplement", completed="2025-07-02 09:00", status="completed", supplement_requests=1),
        dossier("open"),
    ]
    pipeline.pull(engine, given([("dossier", rows)]), until=UNTIL)
    frame = kpi_frame(engine, date(2025, 7, 1), date(2025, 7, 9))
    # ended: 5; on time: early, on_day, one_supplement = 3 → 60 %
    assert frame.loc["26506", "dossiers_received"] == 6
    assert frame.loc["26506", "on_time_rate"] == 60.0
    assert frame.loc[CITY, "on_time_rate"] == 60.0
    assert len(frame.drop(index=CITY)) >= 168
    assert frame["on_time_rate"].isna().sum() >= 167  # the other communes: no data, not 0 %


class ScriptedQueue:
    """A preparing processes' queue whose items arrive at scripted times on a clock of its own."""

    def __init__(self, arrivals):
        self.arrivals, self.now = list(arrivals), 0.0  # (arrival time, item), in order

    def clock(self):
        return self.now

    def get(self, timeout):
        arrives, item = self.arrivals[0]
        if arrives > self.now + timeout:
            self.now += timeout
            raise pipeline.queue_module.Empty
        self.now = max(self.now, arrives)
        self.arrivals.pop(0)
        return item


class RunningChild:
    exitcode = None

    def is_alive(self):
        return True


def handed_on_groups(arrivals):
    """The groups the writer makes of what `_handed_on` hands it (by its rule: up to WRITE_ROWS, or not followed)."""
    groups, group = [], []
    queue = ScriptedQueue(arrivals)
    for batch in pipeline._handed_on(queue, [RunningChild()], "bench", clock=queue.clock):
        group.append(batch.read)
        if not batch.followed or sum(group) >= pipeline.WRITE_ROWS:
            groups.append(group)
            group = []
    return groups + ([group] if group else [])


def prepared(rows: int) -> pipeline.PreparedBatch:
    return pipeline.PreparedBatch(Prepared(RecordKind.dossier, [], [], set()), [], rows, 0.0)


def test_batches_arriving_steadily_fill_whole_groups_however_long_the_pull(monkeypatch):
    # Issue 3: the deadline of the pull's first group was kept, so after WRITE_SECONDS every moment the queue
    # was empty split a group (10 groups of ~21 batches became 17, every other one of 2–3 batches).
    monkeypatch.setattr(pipeline, "WRITE_ROWS", 50)
    steady = [(0.1 * i, prepared(10)) for i in range(200)] + [(20.0, (pipeline._DONE, 0))]
    assert handed_on_groups(steady) == [[10] * 5] * 40


def test_a_group_that_waited_write_seconds_is_handed_on_to_commit():
    late = pipeline.WRITE_SECONDS + 1
    arrivals = [(0.0, prepared(10)), (0.1, prepared(10)), (late, prepared(10)), (late + 0.1, prepared(10)),
                (late + 2 * pipeline.WRITE_SECONDS, prepared(10)), (99.0, (pipeline._DONE, 0))]
    assert handed_on_groups(arrivals) == [[10, 10], [10, 10], [10]]
