"""One module per page, mirroring layouts/: callbacks read KPI frames from metrics/, never raw tables."""
from __future__ import annotations

from sqlalchemy import Engine


def register_all(app, engine: Engine) -> None:
    from callbacks import (city_sector, commune, d766, export, overview, procedure, ranking, router, sector,
                           snapshots, sources, wall)

    router.register(app, engine)
    overview.register(app, engine)
    commune.register(app, engine)
    sources.register(app, engine)
    sector.register(app, engine)
    procedure.register(app, engine)
    ranking.register(app, engine)
    d766.register(app, engine)
    city_sector.register(app, engine)
    export.register(app, engine)
    snapshots.register(app, engine)
    wall.register(app, engine)
