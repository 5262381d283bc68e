"""`/readyz`: ready to serve real numbers — the database answers, its schema is at the newest migration and
every source is fresh (store.status.source_status). 200 with the checks, or 503 with the first reason.

`/healthz` (app.py) only says the process is up: point a load balancer's liveness check there, and use
`/readyz` for deploy gates and alerts (a stale source makes every instance "not ready" alike).
"""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, jsonify
from sqlalchemy import Engine, inspect, text

from ingest.sources import load_sources
from store.status import source_status


@lru_cache(maxsize=4)
def _heads(database_url: str) -> frozenset[str]:
    """The newest revisions the code ships (read once per process: they change only with the code)."""
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def readiness(settings, engine: Engine) -> tuple[bool, dict]:
    """(ready, body): body has `status`, `checks` and, when not ready, `reason`."""
    checks: dict = {}

    def not_ready(reason: str) -> tuple[bool, dict]:
        return False, {"status": "not ready", "reason": reason, "checks": checks}

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set()
            if inspect(conn).has_table("alembic_version"):
                current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception as exc:  # noqa: BLE001 — any failure here means the database is not usable
        checks["database"] = "unreachable"
        return not_ready(f"database unreachable: {type(exc).__name__}")
    checks["database"] = "ok"
    heads = _heads(settings.database_url)
    checks["migrations"] = {"current": sorted(current), "head": sorted(heads)}
    if current != heads:
        return not_ready("database schema is not at the newest migration: run `python cli.py db upgrade`")
    try:
        sources = source_status(engine, load_sources(settings.sources_file))
    except Exception as exc:  # noqa: BLE001 — a broken sources file is a configuration fault to report
        return not_ready(f"sources unreadable: {type(exc).__name__}: {exc}")
    checks["sources"] = {s["name"]: {"stale": s["stale"], "lag_seconds": s["lag_seconds"],
                                     "last_success_at": s["last_success_at"]} for s in sources}
    stale = [s["name"] for s in sources if s["stale"]]
    if stale:
        return not_ready("stale sources: " + ", ".join(stale))
    return True, {"status": "ready", "checks": checks}


def register(server: Flask, settings, engine: Engine) -> None:
    @server.get("/readyz")
    def readyz():
        ready, body = readiness(settings, engine)
        response = jsonify(body)
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response
