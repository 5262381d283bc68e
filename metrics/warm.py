"""A thread per web process that computes the KPI frames of recently read periods as soon as new data lands,
so the first page after an ingest batch is served from the cache instead of computing (issue 5: a KPI switch
took 300–600 ms and a wall's redraw ~0.9 s on the first request after a new data version, against ~30 ms).

Started in each gunicorn worker (gunicorn.conf.py post_fork). It asks the store's data version every few
seconds (one indexed read) and calls metrics.frame.warm on a change; with Redis one worker computes and the
others read its frames, without Redis each worker fills its own cache. Pages with costly parts of their own
register them with `after_new_data` (the wall's panels).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy import Engine

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between two looks at the data version

# What else is prepared after new data, once the frames are: fn(engine), registered by the module that owns
# it (callbacks/wall.py: the panels city-wide walls showed lately), by name so registering again replaces it.
_AFTER_NEW_DATA: dict[str, Callable[[Engine], None]] = {}


def after_new_data(fn: Callable[[Engine], None]) -> Callable[[Engine], None]:
    _AFTER_NEW_DATA[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def warm_all(engine: Engine) -> int:
    """The frames of the periods read lately (metrics.frame.warm), then every registered preparation.
    Returns how many frames were computed."""
    from metrics.frame import warm

    computed = warm(engine)
    for name, fn in list(_AFTER_NEW_DATA.items()):
        try:
            fn(engine)
        except Exception:  # noqa: BLE001 — one failed preparation leaves its first request to compute
            log.exception("preparing %s after new data failed", name)
    return computed


def _run(database_url: str, stop: threading.Event, every: float) -> None:
    from metrics.frame import data_version
    from store.db import engine_for

    engine, seen = engine_for(database_url), None
    while not stop.wait(every):
        try:
            version = data_version(engine)
            if version != seen:
                started = time.monotonic()
                computed = warm_all(engine)
                if computed:
                    log.info("warmed %d KPI frame(s) for data version %s in %.2f s", computed, version,
                             time.monotonic() - started)
                seen = version
        except Exception:  # noqa: BLE001 — a failed warm-up only leaves the next request to compute
            log.exception("warming the KPI frames failed; retrying in %.0f s", every)


def start(database_url: str, every: float = CHECK_EVERY) -> threading.Event:
    """Start the warmer; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_run, args=(database_url, stop, every), name="frame-warmer", daemon=True).start()
    return stop
