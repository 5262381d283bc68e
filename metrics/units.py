"""The units KPIs are reported for (communes and departments), read from the store once per version."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, select

from store.schema import communes, departments


@lru_cache(maxsize=4)
def _communes(url: str) -> pd.DataFrame:
    from store.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(select(communes).order_by(communes.c.code)).mappings().all()
    return pd.DataFrame(rows).set_index("code", drop=False)


def commune_table(engine: Engine) -> pd.DataFrame:
    """The 168 communes (code, names, type, population, imputed flag, centroid), indexed by code."""
    return _communes(engine.url.render_as_string(hide_password=False))


def department_table(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(departments)).mappings().all()).set_index("code", drop=False)
