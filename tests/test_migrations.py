"""The migrations build exactly the schema the code declares (store/schema.py), on SQLite and PostgreSQL:
a table, column or index added to one and not the other fails here, not on a city's server."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.schema import metadata


def test_migrated_store_matches_the_declared_schema(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_the_drill_down_reads_a_communes_dossiers_by_its_index(engine):
    """Migration 0007: a commune's procedures read its own dossiers (metrics/breakdown.py), not the city's."""
    from sqlalchemy import inspect

    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("dossiers")}
    assert indexes["ix_dossiers_unit_received_day"] == ["unit_code", "received_day"]
