"""The shipped geography: 168 communes with official codes and valid, correctly wound geometry."""
from __future__ import annotations

import json

import shapely
from shapely.geometry import shape

from geo.communes import boundaries, boundaries_geojson, communes_frame


def test_168_unique_official_codes_and_types():
    frame = communes_frame()
    assert len(frame) == 168
    assert frame["code"].is_unique
    assert frame["code"].str.fullmatch(r"\d{5}").all()
    assert frame["type"].value_counts().to_dict() == {"ward": 113, "commune": 54, "special_zone": 1}
    assert frame.loc[frame["type"] == "special_zone", "name"].tolist() == ["Côn Đảo"]


def test_geometry_valid_and_inside_the_city():
    gdf = boundaries()
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    assert set(gdf.geom_type) == {"MultiPolygon"}
    minx, miny, maxx, maxy = gdf.total_bounds
    assert 106.0 < minx < maxx < 107.7 and 8.5 < miny < 8.7 < 11.4 < maxy < 11.6  # Côn Đảo is the south


def test_blank_populations_are_imputed_and_marked():
    frame = communes_frame()
    assert frame["population"].gt(0).all()
    imputed = frame[frame["population_imputed"]]
    assert len(imputed) == 24  # the 24 blanks of the source (SOURCES.md)
    assert set(imputed["population_flag"]) == {"source_row_misaligned", "implausibly_low"}
    # imputed from neighbours' density: within the range of the published densities
    density = frame["population"] / frame["area_km2_calc"]
    published = density[~frame["population_imputed"]]
    assert density[frame["population_imputed"]].between(published.min(), published.max()).all()


def test_browser_geometry_is_light_valid_and_clockwise():
    fc = boundaries_geojson()
    size = len(json.dumps(fc, separators=(",", ":")))
    assert len(fc["features"]) == 168
    assert size < 450_000, size  # the source file is 685 KB; the map sends this once per page
    for feature in fc["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid, feature["id"]
        polygons = getattr(geom, "geoms", [geom])
        # Plotly's geo subplot needs clockwise exterior rings
        assert all(not shapely.is_ccw(p.exterior) for p in polygons), feature["id"]
