"""Issue 8: the records held per source (and its tickets without a commune) are counted at ingest, in each
batch's transaction, and the sources page reads them instead of counting. After new records, newer and older
versions, repeats within a batch, document counts and a migrated store, the counts equal exact count(*)s."""
from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect

from ingest import pipeline
from ingest.contracts import DocumentCount, Dossier, RecordKind, Ticket
from store import writes
from store.db import engine_for
from store.migrate import alembic_config, upgrade
from store.schema import dossiers, source_states
from store.status import source_status
from tests.conftest import at
from tests.records import assert_held_exact, dossier, given, later, ticket

OUTSIDE = {"unit_code": None, "lat": 21.0285, "long": 105.8542}  # Hà Nội: no commune of the city


def doc(unit: str, day: int, direction: str = "incoming", total: int = 5) -> dict:
    return {"unit_code": unit, "day": date(2025, 7, day), "direction": direction, "total": total, "electronic": 2,
            "digitally_signed": 1}


def status_of(engine, source) -> tuple[int, int]:
    row = source_status(engine, [source], at=at("2025-07-12 00:00"))[0]
    return row["rows_stored"], row["unassigned_tickets"]


def test_pulls_count_new_records_once_whatever_versions_and_repeats_they_bring(engine):
    d = [dossier(f"D{i}") for i in range(4)]
    t_in, t_out = ticket("T1"), ticket("T2", **OUTSIDE)
    first = given([("dossier", d), ("ticket", [t_in, t_out, ticket("T3", **OUTSIDE)]),
                   ("document_count", [doc("26506", 1), doc("26506", 1, "outgoing")])], name="src")
    assert pipeline.pull(engine, first, until=at("2025-07-10 00:00")).status == "ok"
    assert assert_held_exact(engine) == {"src": (9, 2)}
    assert status_of(engine, first) == (9, 2)  # what the sources page shows

    second = given([
        # newer, equal and older versions; a new id twice; a held id twice (newer then older)
        ("dossier", [later(d[0], status="supplement_requested"), d[1],
                     {**d[2], "status": "withdrawn", "updated_at": at("2025-06-30 08:00")},
                     dossier("D4"), dossier("D4"), later(d[3], status="completed", completed_at=at("2025-07-02 09:00")),
                     d[3]]),
        # a ticket placed in a commune, one moved out of the city, a new one outside twice, a new one inside
        ("ticket", [later(t_out, unit_code="26506"), later(t_in, **OUTSIDE), ticket("T4", **OUTSIDE),
                    ticket("T4", **OUTSIDE), ticket("T5")]),
        # changed counts of a held key, a new key twice
        ("document_count", [doc("26506", 1, total=9), doc("26509", 2), doc("26509", 2, total=7)]),
    ], name="src")
    assert pipeline.pull(engine, second, until=at("2025-07-11 00:00")).status == "ok"
    assert assert_held_exact(engine) == {"src": (13, 3)}  # + D4, T4, T5, (26509, 2 July); outside: T1, T3, T4
    assert pipeline.pull(engine, second, until=at("2025-07-11 00:00")).status == "ok"  # a re-pull: nothing new
    assert assert_held_exact(engine) == {"src": (13, 3)}
    assert status_of(engine, second) == (13, 3)


def test_sources_are_counted_apart(engine):
    for name, n in (("a", 3), ("b", 2)):
        batches = [("dossier", [dossier(f"{name}{i}") for i in range(n)]), ("ticket", [ticket(f"{name}T", **OUTSIDE)])]
        assert pipeline.pull(engine, given(batches, name=name), until=at("2025-07-10 00:00")).status == "ok"
    assert assert_held_exact(engine) == {"a": (4, 1), "b": (3, 1)}


def _validated(kind: RecordKind, rows: list[dict]) -> list:
    model = {RecordKind.dossier: Dossier, RecordKind.ticket: Ticket, RecordKind.document_count: DocumentCount}[kind]
    return [model.model_validate(r) for r in rows]


def test_writes_without_deltas_count_exactly_and_a_rollback_takes_its_count_back(engine):
    with engine.begin() as conn:
        conn.execute(source_states.insert().values(source="s", kind="given_rows"))
    t1, t2 = ticket("T1", **OUTSIDE), ticket("T2")
    with engine.begin() as conn:
        writes.store_records(conn, "s", RecordKind.dossier, _validated(RecordKind.dossier, [dossier("D1")]))
        writes.store_records(conn, "s", RecordKind.ticket, _validated(RecordKind.ticket, [t1, t2, ticket("T3")]))
        writes.store_records(conn, "s", RecordKind.document_count, _validated(RecordKind.document_count,
                                                                              [doc("26506", 1), doc("26506", 1)]))
    assert assert_held_exact(engine) == {"s": (5, 1)}
    with engine.begin() as conn:  # one moved into a commune, one out of the city, one new outside, twice
        writes.store_records(conn, "s", RecordKind.ticket, _validated(RecordKind.ticket, [
            later(t1, unit_code="26506"), later(t2, **OUTSIDE), ticket("T4", **OUTSIDE), ticket("T4", **OUTSIDE)]))
    assert assert_held_exact(engine) == {"s": (6, 2)}
    with pytest.raises(RuntimeError), engine.begin() as conn:
        writes.store_records(conn, "s", RecordKind.dossier, _validated(RecordKind.dossier, [dossier("D2")]))
        raise RuntimeError("a fault after the write")
    assert assert_held_exact(engine) == {"s": (6, 2)}


def test_a_write_for_a_source_the_store_does_not_know_is_refused(engine):
    """Without its source_states row a source's records could not be counted: the batch is not stored."""
    with pytest.raises(LookupError, match="no source_states row"), engine.begin() as conn:
        writes.store_records(conn, "nowhere", RecordKind.dossier, _validated(RecordKind.dossier, [dossier("D1")]))
    with engine.connect() as conn:
        assert conn.execute(dossiers.select()).first() is None


def test_migration_0008_counts_the_records_a_store_already_held(db_url):
    engine = engine_for(db_url)
    batches = [("dossier", [dossier(f"D{i}") for i in range(3)]), ("ticket", [ticket("T1"), ticket("T2", **OUTSIDE)]),
               ("document_count", [doc("26506", 1)])]
    assert pipeline.pull(engine, given(batches, name="kept"), until=at("2025-07-10 00:00")).status == "ok"
    assert pipeline.pull(engine, given([], name="empty"), until=at("2025-07-10 00:00")).status == "ok"
    command.downgrade(alembic_config(db_url), "0007")
    assert "records_held" not in {c["name"] for c in inspect(engine).get_columns("source_states")}
    upgrade(db_url)
    assert assert_held_exact(engine) == {"empty": (0, 0), "kept": (6, 1)}
