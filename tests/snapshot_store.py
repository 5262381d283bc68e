"""A small demo store shared by the snapshot, export and API tests (seeded once per module, ~7 s), and
hand-made records that arrive later ("new data")."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from ingest import pipeline
from store.db import engine_for
from store.migrate import upgrade
from tests.conftest import at, demo_source
from tests.records import dossier, given

PERIOD = (date(2025, 9, 1), date(2025, 9, 7))
COMMUNE = "26506"


def seed(url: str) -> None:
    upgrade(url)
    result = pipeline.pull(engine_for(url), demo_source(scale=0.01, start="2025-09-01"), until=at("2025-09-08 12:00"))
    assert result.status == "ok" and result.rows_stored > 1000


def new_data(url: str) -> None:
    """Late dossiers for the snapshot's period: the KPI frame of that period changes."""
    rows = [dossier(f"LATE{i}", unit=COMMUNE, received="2025-09-03 08:00", due="2025-09-04 17:00",
                    completed="2025-09-05 10:00", status="completed") for i in range(40)]
    result = pipeline.pull(engine_for(url), given([("dossier", rows)]), until=at("2025-09-08 13:00"))
    assert result.status == "ok" and result.rows_stored == 40


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "ioc.db"
    seed(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def seeded_url(seeded_file, tmp_path):
    """A private copy of the seeded store (tests may add data to it)."""
    path = tmp_path / "ioc.db"
    shutil.copy(seeded_file, path)
    return f"sqlite:///{path}"
