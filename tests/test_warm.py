"""What the web worker prepares after new data (metrics/warm.py): the frames of periods read lately and the
panels city-wide walls drew lately, so the first request after an ingest batch computes nothing."""
from __future__ import annotations

import pytest

from callbacks import wall
from ingest import pipeline
from metrics import warm
from metrics.frame import data_version
from store.db import engine_for
from tests.conftest import at, demo_source

SEARCH = "?views=plan02,d766,tiles"


@pytest.fixture
def engine(sqlite_url):
    engine = engine_for(sqlite_url)
    pipeline.pull(engine, demo_source(scale=0.01, start="2025-10-25"), until=at("2025-11-05 12:00"))
    return engine


def test_a_new_batch_prepares_what_city_walls_drew(engine, monkeypatch):
    for name in ("plan02", "d766", "tiles"):  # a city-wide wall draws its panels (scope: everything)
        wall.content(engine, name, SEARCH)
    drawn = data_version(engine)
    pipeline.pull(engine, demo_source(scale=0.01, start="2025-10-25"), until=at("2025-11-05 18:00"))
    assert data_version(engine) != drawn
    warm.warm_all(engine)

    def refuse(*_):
        pytest.fail("built on request after the warmer ran")

    views = {name: wall.View(v.title_key, refuse, v.graph, refuse) for name, v in wall.VIEWS.items()}
    monkeypatch.setattr(wall, "VIEWS", views)
    for name in ("plan02", "d766", "tiles"):
        assert wall.content(engine, name, SEARCH) is not None
    with pytest.raises(pytest.fail.Exception):  # a panel no wall drew is not prepared
        wall.content(engine, "hotline", SEARCH)


def test_a_failing_preparation_does_not_stop_the_others(engine, monkeypatch):
    done = []
    monkeypatch.setattr(warm, "_AFTER_NEW_DATA", {"broken": lambda e: 1 / 0, "fine": lambda e: done.append(e)})
    warm.warm_all(engine)
    assert done == [engine]
