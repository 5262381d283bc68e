"""One module per page, mirroring layouts/: callbacks read KPI frames from metrics/, never raw tables."""
from __future__ import annotations

from sqlalchemy import Engine


def register_all(app, engine: Engine) -> None:
    from callbacks import commune, overview, router, sources, wall

    router.register(app, engine)
    overview.register(app, engine)
    commune.register(app, engine)
    sources.register(app, engine)
    wall.register(app, engine)
