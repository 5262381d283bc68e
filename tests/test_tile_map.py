"""The equal-tile layout, the former provinces and the zoom presets computed from the boundaries."""
from __future__ import annotations

import pandas as pd

from geo import regions, tiles
from geo.communes import communes_frame, inset_codes


def test_every_commune_has_its_own_cell():
    layout = tiles.tile_layout()
    assert len(layout) == 168 and layout.index.is_unique
    assert len(set(zip(layout["col"], layout["row"]))) == 168
    rows, cols = tiles.grid_shape()
    assert layout["col"].between(0, cols - 1).all() and layout["row"].between(0, rows - 1).all()
    assert layout["col"].min() == 0 and layout["row"].min() == 0


def test_the_layout_is_deterministic():
    first = tiles.tile_layout().copy()
    tiles.tile_layout.cache_clear()
    assert tiles.tile_layout().equals(first)


def test_tiles_keep_the_communes_geography():
    layout = tiles.tile_layout()
    places = communes_frame().set_index("code")[["lon", "lat"]]
    both = layout.join(places).drop(index=inset_codes()).rank()  # Spearman: Pearson on ranks
    # west stays west, north stays north (rank correlation of cell and position)
    assert both["col"].corr(both["lon"]) > 0.95
    assert both["row"].corr(both["lat"]) > 0.95
    # Côn Đảo, 180 km offshore, sits alone below the mainland with an empty row between
    islands = layout.loc[inset_codes()]
    assert (islands["row"] == 0).all() and layout.drop(index=inset_codes())["row"].min() == 2


def test_former_provinces_from_the_code_blocks():
    province = regions.former_province()
    assert len(province) == 168
    assert province.value_counts().to_dict() == {"79": 102, "74": 36, "77": 30}
    assert province["26732"] == "77"  # Côn Đảo belonged to Bà Rịa – Vũng Tàu
    assert province["26740"] == "79" and province["26506"] == "77"  # Sài Gòn ward, Vũng Tàu ward


def test_zoom_presets_frame_their_communes():
    presets = regions.zoom_presets()
    assert tuple(presets) == regions.PRESETS
    places = communes_frame().set_index("code")
    for key, p in presets.items():
        inside = places.loc[p["codes"]]
        assert inside["lon"].between(*p["lon"]).all() and inside["lat"].between(*p["lat"]).all(), key
    city, core = presets["city"], presets["core"]
    assert city["lon"][0] < core["lon"][0] < core["lon"][1] < city["lon"][1]  # the core is inside the city
    assert len(core["codes"]) == 78 and len(presets["binh_duong"]["codes"]) == 36
    assert presets["con_dao"]["lat"][1] < city["lat"][0]  # the islands lie south of the mainland
    assert pd.Series(presets["ba_ria_vung_tau"]["codes"]).isin(inset_codes()).sum() == 0
