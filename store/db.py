"""Engines: SQLite (embedded default, a file under var/) or PostgreSQL, picked by DATABASE_URL."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    # WAL lets the web workers read while the scheduler writes; NORMAL is durable across app crashes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and pool) per URL per process; nothing connects until first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def serve_requests_one_core_each(engine: Engine) -> None:
    """For a web worker's PostgreSQL sessions: no parallel query. A count over millions of rows (the sources
    page) planned two parallel workers and took both cores of the 2-core server for a second, stalling every
    other request (issue 8's load test); one request, one core. The scheduler keeps PostgreSQL's default."""
    if is_sqlite(engine):
        return

    def one_core(dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()

    event.listen(engine, "connect", one_core)
