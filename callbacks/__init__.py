"""One module per page, mirroring layouts/: callbacks read KPI frames from metrics/, never raw tables."""
from __future__ import annotations

from sqlalchemy import Engine


def register_all(app, engine: Engine) -> None:
    from callbacks import (city_sector, commune, d766, export, overview, procedure, ranking, router, sector,
                           snapshots, sources, wall)

    for page in (router, overview, commune, sources, sector, procedure, ranking, d766, city_sector, export, snapshots,
                 wall):
        page.register(app, engine)
