"""The fast paths of an ingest (issue 3 item 5) keep the semantics of the plain ones they replace:
PostgreSQL's COPY-staged upsert against the row-by-row one, whole-batch validation against per-row,
the unrolled field mapping against normalise() field by field."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given as hypothesis_given, settings, strategies as st
from sqlalchemy import select

from ingest import pipeline
from ingest.connectors.mapping import contract_fields, normalise, project
from ingest.contracts import Dossier, RecordKind
from metrics.time import TZ, steady_offset
from store import writes
from store.schema import dossiers, source_states
from tests.conftest import at
from tests.records import assert_held_exact, dossier, later


@pytest.fixture
def engine(engine):
    """Source "s" registered, as a pull registers its source: writes count its records there (issue 8)."""
    with engine.begin() as conn:
        conn.execute(source_states.insert().values(source="s", kind="given_rows"))
    return engine


def _records(rows: list[dict]) -> list[Dossier]:
    return [Dossier.model_validate(r) for r in rows]


def _held(engine) -> dict:
    with engine.connect() as conn:
        return {r.dossier_id: (r.status, r.updated_at, r.completed_day)
                for r in conn.execute(select(dossiers).where(dossiers.c.source == "s"))}


def test_a_batch_upsert_replaces_only_older_versions_and_counts_exactly(engine):
    """Newer replaces, older or equal never does; the count is of rows inserted or replaced. On PostgreSQL a
    batch of distinct ids goes through COPY and one INSERT … SELECT, a batch repeating an id row by row."""
    first = [dossier(f"D{i}", updated="2025-07-01 10:00") for i in range(6)]
    with engine.begin() as conn:
        assert writes.store_records(conn, "s", RecordKind.dossier, _records(first))[0] == 6
    newer = later(first[0], status="completed", completed_at=at("2025-07-02 09:00"), updated_at=at("2025-07-02 09:00"))
    older = {**first[1], "status": "withdrawn", "completed_at": at("2025-07-01 09:00"),
             "updated_at": at("2025-07-01 09:00")}
    equal = {**first[2], "sector": "changed but not newer"}
    fresh = dossier("D9", updated="2025-07-01 11:00")
    with engine.begin() as conn:
        stored, days = writes.store_records(conn, "s", RecordKind.dossier, _records([newer, older, equal, fresh]))
    assert stored == 2  # the newer version and the new record
    held = _held(engine)
    assert len(held) == 7
    assert held["D0"][0] == "completed" and held["D0"][2].isoformat() == "2025-07-02"
    assert held["D1"][0] == "received" and held["D2"][0] == "received"
    assert {d.isoformat() for d in days} >= {"2025-07-01", "2025-07-02"}
    with engine.connect() as conn:
        assert conn.execute(select(dossiers.c.sector).where(dossiers.c.dossier_id == "D2")).scalar_one() != \
            "changed but not newer"
    # The same id twice in one batch, the older version last: the newer one stays, both count as in order.
    v2 = later(first[3], status="completed", completed_at=at("2025-07-03 09:00"), updated_at=at("2025-07-03 09:00"))
    v1 = later(first[3], status="supplement_requested", updated_at=at("2025-07-02 12:00"))
    with engine.begin() as conn:
        stored, _ = writes.store_records(conn, "s", RecordKind.dossier, _records([v2, v1, dossier("D10")]))
    assert stored == 2 and _held(engine)["D3"][0] == "completed"
    assert assert_held_exact(engine) == {"s": (8, 0)}  # D0–D5, D9, D10


def test_two_batches_in_one_transaction_count_each_row_once(engine):
    """Each batch of a transaction counts its own rows (PostgreSQL stages both in one temporary table)."""
    a_rows = [dossier(f"A{i}") for i in range(3)]
    b_rows = [dossier(f"B{i}") for i in range(3)] + [later(a_rows[0], status="supplement_requested")]
    with engine.begin() as conn:
        a = writes.store_records(conn, "s", RecordKind.dossier, _records(a_rows))[0]
        b = writes.store_records(conn, "s", RecordKind.dossier, _records(b_rows))[0]
    held = _held(engine)
    assert (a, b, len(held), held["A0"][0]) == (3, 4, 6, "supplement_requested")
    assert assert_held_exact(engine) == {"s": (6, 0)}


def test_a_batch_that_rolled_back_does_not_break_the_next(engine):
    rows = _records([dossier("R1")])
    try:
        with engine.begin() as conn:
            writes.store_records(conn, "s", RecordKind.dossier, rows)
            raise RuntimeError("upstream fault after the write")
    except RuntimeError:
        pass
    with engine.begin() as conn:
        assert writes.store_records(conn, "s", RecordKind.dossier, rows)[0] == 1
    assert list(_held(engine)) == ["R1"]
    assert assert_held_exact(engine) == {"s": (1, 0)}  # the rolled-back batch's count went with it


def test_batch_validation_gives_what_row_by_row_validation_gives():
    rows = [dossier("OK1"), {**dossier("BAD1"), "channel": "fax"}, dossier("OK2"),
            {**dossier("BAD2"), "received_at": datetime(2025, 7, 1, 8)}, "not a record",
            {**dossier("OK3"), "procedure_name": "Hồ sơ của ông Nguyễn Văn An, 0903 123 456"}]
    good, bad = pipeline.validate(RecordKind.dossier, rows)
    assert [g.dossier_id for g in good] == ["OK1", "OK2", "OK3"]
    assert "0903" not in good[2].procedure_name and "Nguyễn Văn An" not in good[2].procedure_name
    assert [reason.split(":")[0] for _, reason in bad] == ["channel", "received_at", "row"]
    clean = [r for r in rows if isinstance(r, dict) and r["dossier_id"].startswith("OK")]
    assert pipeline.validate(RecordKind.dossier, clean)[0] == good and pipeline.validate(RecordKind.dossier,
                                                                                           clean)[1] == []


_values = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=16), st.sampled_from(["20250701083015", " 20250701083015 ", "20251301000000",
                                                           "202507010830", "01/07/2025 08:30", "2025-07-01T08:30:00Z",
                                                           "", "  ", "1", "0", "có", "không", "x", "12/31/2025",
                                                           "٢٠٢٥٠٧٠١٠٨٣٠١٥"]),
                    st.datetimes(timezones=st.just(timezone.utc)))


@settings(max_examples=300, deadline=None)
@hypothesis_given(st.sampled_from(list(RecordKind)), st.data())
def test_the_unrolled_mapping_is_normalise_field_by_field(kind, data):
    fields = contract_fields(kind)
    row = data.draw(st.dictionaries(st.sampled_from(sorted(fields)), _values))
    from zoneinfo import ZoneInfo

    for tz in (None, ZoneInfo("Asia/Ho_Chi_Minh")):
        expected = {}
        for name, field_kind in fields.items():
            if name in row:
                value = normalise(field_kind, row[name], tz)
                if value is not None:
                    expected[name] = value
        if kind is RecordKind.document_count and isinstance(expected.get("direction"), str):
            expected["direction"] = project({"direction": expected["direction"]}, kind)["direction"]
        got = project(row, kind, tz=tz)
        assert got == expected and all(type(got[k]) is type(expected[k]) for k in got)


_STORED = ("dossier_id", "unit_code", "procedure_code", "procedure_name", "sector", "channel", "full_process_online",
           "received_at", "due_at", "completed_at", "status", "supplement_requests", "fee_bearing", "paid_online",
           "e_result", "digitised", "data_reused", "accepted_late", "updated_at", "received_day", "due_day",
           "completed_day")
_AWKWARD = ["tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\\\N", "\\t literally",
            'quotes " and, commas', "Chứng thực bản sao hợp đồng", "end\\"]


def _stored_rows(engine, source: str) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(map(tuple, conn.execute(select(*[dossiers.c[c] for c in _STORED])
                                              .where(dossiers.c.source == source)).all()))


def _copy_text_stores_what_rows_store(engine, texts: list[str]) -> None:
    """Dossiers whose free text holds `texts`, stored from COPY text (new, then a newer version through the staged
    upsert) and from driver rows: the same rows."""
    with engine.begin() as conn:
        conn.execute(dossiers.delete())
        conn.execute(source_states.delete().where(source_states.c.source == "rows"))
        conn.execute(source_states.insert().values(source="rows", kind="given_rows"))
    first = [dossier(f"T{i}", procedure_name=text, sector=texts[-1 - i], procedure_code=text[:64])
             for i, text in enumerate(texts)]
    second = [later(row, status="completed", completed_at=row["received_at"] + (row["due_at"] - row["received_at"]) / 2)
              for row in first[::2]]
    for source, as_copy_text in (("s", True), ("rows", False)):
        for rows, assume_new in ((first, True), (second, False)):
            prepared = writes.prepare(source, RecordKind.dossier, _records(rows), False, as_copy_text)
            assert (prepared.copy_text is not None, prepared.rows == []) == (as_copy_text, as_copy_text)
            with engine.begin() as conn:
                stored, _ = writes.store_prepared(conn, source, prepared, deltas=True, assume_new=assume_new)
            assert stored == len(rows)
    assert _stored_rows(engine, "s") == _stored_rows(engine, "rows")
    with engine.connect() as conn:
        assert set(conn.execute(select(dossiers.c.procedure_name)).scalars()) == set(texts)


@pytest.fixture
def postgres_engine(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY text is PostgreSQL's")
    return engine


def test_copy_text_stores_what_driver_rows_store(postgres_engine):
    """Issue 3: a preparing process hands new dossiers over as PostgreSQL COPY text; escaping (tabs, line
    breaks, backslashes, a literal \\N) and NULLs must store exactly what the row-by-row COPY stores."""
    _copy_text_stores_what_rows_store(postgres_engine, _AWKWARD)


@settings(max_examples=25, deadline=None,  # each example clears the dossiers first: the fixture's store is reused
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@hypothesis_given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                                   min_size=1, max_size=30).map(str.strip).filter(bool),
                           min_size=2, max_size=8, unique=True))
def test_copy_text_stores_any_text_as_driver_rows_do(postgres_engine, texts):
    _copy_text_stores_what_rows_store(postgres_engine, texts)


def test_copy_text_is_sent_in_the_connections_encoding(postgres_engine):
    """COPY text is made as UTF-8 where the batch is prepared; a connection speaking LATIN1 gets it re-encoded."""
    from sqlalchemy import create_engine

    latin1 = create_engine(postgres_engine.url, connect_args={"options": "-c client_encoding=LATIN1"})
    try:
        _copy_text_stores_what_rows_store(latin1, ["café", "crème\tbrûlée", "naïve \\N", "Ørsted"])
    finally:
        latin1.dispose()


@hypothesis_given(st.lists(st.one_of(st.just(float("nan")), st.floats(-2.0e9, 4.0e9)), max_size=60))
@settings(max_examples=200, deadline=None)
def test_days_written_once_per_distinct_day_are_each_values_own_day(seconds):
    """Issue 3: a batch's day columns format each distinct day once; every value still gets its own UTC day."""
    expected = [None if math.isnan(v) else (datetime(1970, 1, 1) + timedelta(days=math.floor(v / 86400))).date()
                .isoformat() for v in seconds]
    assert writes._iso(np.array(seconds, dtype=float), "D") == expected


_ZONES = [ZoneInfo(name) for name in ("Asia/Ho_Chi_Minh", "Europe/Paris", "America/Sao_Paulo", "Australia/Lord_Howe")] \
    + [timezone.utc, timezone(timedelta(hours=7))]
_TIMES = {"min_value": datetime(1900, 1, 1), "max_value": datetime(2999, 12, 31)}


@hypothesis_given(st.one_of(
    st.sampled_from(_ZONES).flatmap(lambda zone: st.lists(st.one_of(st.none(), st.datetimes(
        **_TIMES, timezones=st.just(zone))), max_size=40)),  # one zone a column, the usual case
    st.lists(st.one_of(st.none(), st.datetimes(**_TIMES, timezones=st.sampled_from(_ZONES))), max_size=10)))
@settings(max_examples=300, deadline=None)
def test_times_converted_a_column_at_a_time_equal_their_own_timestamps(values):
    """Issue 3: a column of times in one zone becomes epoch seconds at once (the zone's offset once per local day);
    days whose offset changes (Paris, São Paulo at midnight, Lord Howe by half an hour) and mixed zones go one by
    one. Every value equals its own timestamp(), to the bit."""
    expected = np.array([np.nan if v is None else v.timestamp() for v in values], dtype=float)
    assert np.array_equal(writes._epoch_seconds(values), expected, equal_nan=True)


def test_a_portal_column_of_times_is_converted_at_once(monkeypatch):
    """Issue 3: the usual column (one zone, steady days) takes the column path, looking each local day's offset up
    once; the property test above holds either way, so this fails if the column path never runs."""
    looked_up = []
    monkeypatch.setattr(writes, "steady_offset", lambda tz, day: looked_up.append(day) or steady_offset(tz, day))
    values = [datetime(2025, 7, 1 + i % 3, 8, i % 60, tzinfo=TZ) for i in range(90)] + [None]
    stamps = writes._epoch_seconds(values)
    assert sorted(looked_up) == [20270, 20271, 20272]  # 1–3 July 2025, days since 1970
    assert np.array_equal(stamps, [np.nan if v is None else v.timestamp() for v in values], equal_nan=True)
