"""The sources page: reads per-source status and a quarantine sample from store.status (no SQL here)."""
from __future__ import annotations

from sqlalchemy import Engine

from callbacks.context import PageQuery
from ingest.sources import load_sources
from layouts import sources as sources_layout
from metrics.frame import WARM_WITHIN
from metrics.warm import after_new_data
from store.status import counts_read_within, quarantine_sample, source_status

QUARANTINE_SAMPLE = 20


def sources_page(engine: Engine, query: PageQuery, sources_file: str | None):
    statuses = source_status(engine, load_sources(sources_file), count_records=True)
    return sources_layout.layout(query.lang, statuses, quarantine_sample(engine, QUARANTINE_SAMPLE))


def register(app, engine: Engine) -> None:
    """Nothing interactive yet: the router renders the page on each visit (fresh figures every time).
    After new data the exact record counts (~1 s at 10 million rows) are counted ahead, if the page was
    opened in this process lately (metrics/warm.py)."""
    sources_file = app.server.config["IOC_SETTINGS"].sources_file

    @after_new_data
    def prepare_source_counts(engine_: Engine) -> None:
        if counts_read_within(WARM_WITHIN):
            source_status(engine_, load_sources(sources_file), count_records=True)
