"""The snapshots page: reads the list from snapshots.store (no SQL here)."""
from __future__ import annotations

from sqlalchemy import Engine

from callbacks.context import PageQuery
from layouts import snapshots as snapshots_layout
from snapshots import store
from snapshots.scope import ScopeError, parse_scope

LISTED = 200


def _scope_name(engine: Engine, key: str, lang: str, names: dict) -> str:
    if key not in names:
        try:
            names[key] = parse_scope(engine, key).name(lang)
        except ScopeError:  # a unit no longer in the store: its code still says what it was
            names[key] = key
    return names[key]


def snapshots_page(engine: Engine, query: PageQuery):
    names: dict[str, str] = {}
    rows = [{**s.as_json(), "scope_name": _scope_name(engine, s.scope_key, query.lang, names)}
            for s in store.listing(engine, limit=LISTED)]
    return snapshots_layout.layout(query.lang, rows)


def register(app, engine: Engine) -> None:
    """Nothing interactive: the router renders the page on each visit; downloads are plain links to the API."""
