"""Operations endpoints beside the pages: `/readyz` (ops/health.py) and `/metrics` (ops/prometheus.py)."""
from __future__ import annotations

from sqlalchemy import Engine


def register(app, settings, engine: Engine) -> None:
    from ops import health, prometheus

    health.register(app.server, settings, engine)
    prometheus.register(app, settings, engine)
