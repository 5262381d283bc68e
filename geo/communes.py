"""The 168 commune-level units of Ho Chi Minh City from 1 July 2025 (data/SOURCES.md).

`communes_frame()` is the attribute table the store loads by migration; `boundaries_geojson()` is the
geometry the map draws (simplified for the browser, computed once per process).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DATA = Path(__file__).with_name("data")
GEOJSON = DATA / "hcmc_communes_2025.geojson"
CSV = DATA / "hcmc_communes_2025.csv"
METRIC_CRS = 32648  # WGS 84 / UTM 48N, metres: areas, buffers, simplification
TYPES = {"phường": "ward", "xã": "commune", "đặc khu": "special_zone"}
# Touching = within this distance: the shipped polygons have sub-metre slivers between neighbours.
NEIGHBOUR_BUFFER_M = 50


@lru_cache(maxsize=1)
def boundaries() -> gpd.GeoDataFrame:
    """The shipped boundaries (EPSG:4326), one MultiPolygon per commune, in the official list's order."""
    gdf = gpd.read_file(GEOJSON, engine="pyogrio")
    return gdf.set_index("code", drop=False)


def impute_population(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Fill blank populations from the median density of touching communes × the commune's own area.

    The source leaves 24 populations blank (misaligned rows, implausibly low values: SOURCES.md);
    mapping them as 0 or dropping them would skew every per-capita figure and the demo's volumes.
    """
    metric = gdf.to_crs(METRIC_CRS)
    area_km2 = metric.area / 1e6
    pop = pd.to_numeric(gdf["population"], errors="coerce")
    density = pop / area_km2
    tree = metric.sindex
    imputed = pop.copy()
    for i, geom in enumerate(metric.geometry.buffer(NEIGHBOUR_BUFFER_M)):
        if not np.isnan(pop.iloc[i]):
            continue
        near = [j for j in tree.query(geom, predicate="intersects") if j != i and not np.isnan(density.iloc[j])]
        if not near:
            raise ValueError(f"commune {gdf.index[i]} has no neighbour with a population to impute from")
        imputed.iloc[i] = round(float(np.median(density.iloc[near])) * area_km2.iloc[i])
    return pd.DataFrame({
        "population": imputed.astype("int64"),
        "population_imputed": pop.isna(),
        "area_km2_calc": area_km2.round(3),
    }, index=gdf.index)


@lru_cache(maxsize=1)
def communes_frame() -> pd.DataFrame:
    """One row per commune: code, names, type, areas, population (imputed where blank), centroid."""
    gdf = boundaries()
    attrs = pd.read_csv(CSV, dtype={"code": str}).set_index("code")
    filled = impute_population(gdf)
    centroids = gdf.to_crs(METRIC_CRS).representative_point().to_crs(4326)
    frame = pd.DataFrame({
        "code": gdf["code"],
        "name": gdf["name"],
        "full_name": gdf["full_name"],
        "name_en": gdf["name_en"],
        "type": gdf["type"].map(TYPES),
        "area_km2": gdf["area_km2"],
        "area_km2_calc": filled["area_km2_calc"],
        "population": filled["population"],
        "population_imputed": filled["population_imputed"],
        "population_flag": attrs["population_flag"].reindex(gdf.index),
        "lon": centroids.x.round(5),
        "lat": centroids.y.round(5),
    })
    return frame.reset_index(drop=True)


@lru_cache(maxsize=4)
def boundaries_geojson(tolerance_m: float = 60.0) -> dict:
    """The boundaries as GeoJSON for the browser, simplified as one topology so neighbours stay flush.

    `coverage_simplify` simplifies shared edges once (no slivers between communes); 60 m keeps
    the small central wards recognisable while cutting the payload to a fraction of the source.
    """
    gdf = boundaries()
    metric = gdf.to_crs(METRIC_CRS).geometry
    simple = gpd.GeoSeries(shapely.coverage_simplify(metric.values, tolerance_m), crs=METRIC_CRS).to_crs(4326)
    simple = shapely.set_precision(simple.values, 1e-5)
    # Plotly's geo subplot fills counter-clockwise outer rings as the whole world: keep them clockwise.
    simple = shapely.orient_polygons(simple, exterior_cw=True)
    features = [
        {"type": "Feature", "id": code, "properties": {"code": code, "name": name},
         "geometry": shapely.geometry.mapping(geom)}
        for code, name, geom in zip(gdf["code"], gdf["name"], simple)
    ]
    return {"type": "FeatureCollection", "features": features}


def inset_codes() -> list[str]:
    """Communes drawn in an inset rather than at their place: the islands far offshore (Côn Đảo)."""
    gdf = boundaries()
    return gdf.index[gdf["type"] == "đặc khu"].tolist()


def bounds() -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the whole city, Côn Đảo included."""
    return tuple(float(v) for v in boundaries().total_bounds)


def geojson_bytes(tolerance_m: float = 60.0) -> int:
    return len(json.dumps(boundaries_geojson(tolerance_m), separators=(",", ":")))
