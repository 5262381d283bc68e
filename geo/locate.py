"""Point → commune: which of the 168 communes a latitude/longitude falls in (None = outside the city).

One STRtree over the shipped boundaries (full resolution, not the browser's simplified ones), built
once per process; a batch of points is one vectorised query.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from shapely.strtree import STRtree

from geo.communes import boundaries


@lru_cache(maxsize=1)
def _index() -> tuple[STRtree, np.ndarray]:
    gdf = boundaries()
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    shapely.prepare(geoms)
    return STRtree(geoms), gdf["code"].to_numpy(dtype=object)


def communes_at(lats, longs) -> list[str | None]:
    """The commune code for each (lat, long); None for a point outside every commune or not a number.

    A point on a shared edge belongs to the first commune in the official list's order.
    """
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(longs, dtype=float)
    out: list[str | None] = [None] * len(lat)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return out
    where = np.flatnonzero(ok)
    tree, codes = _index()
    points = shapely.points(lon[where], lat[where])
    hits = tree.query(points, predicate="intersects")  # [point index, commune index] pairs
    order = np.lexsort((hits[1], hits[0]))
    for p, c in zip(hits[0][order].tolist(), hits[1][order].tolist()):
        i = int(where[p])
        if out[i] is None:
            out[i] = codes[c]
    return out


def commune_at(lat: float, long: float) -> str | None:
    return communes_at([lat], [long])[0]
