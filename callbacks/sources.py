"""The sources page: reads per-source status and a quarantine sample from store.status (no SQL here)."""
from __future__ import annotations

from sqlalchemy import Engine

from callbacks.context import PageQuery
from ingest.sources import load_sources
from layouts import sources as sources_layout
from store.status import quarantine_sample, source_status

QUARANTINE_SAMPLE = 20


def sources_page(engine: Engine, query: PageQuery, sources_file: str | None):
    statuses = source_status(engine, load_sources(sources_file))
    return sources_layout.layout(query.lang, statuses, quarantine_sample(engine, QUARANTINE_SAMPLE))


def register(app, engine: Engine) -> None:
    """Nothing interactive yet: the router renders the page on each visit (fresh figures every time)."""
