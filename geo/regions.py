"""The former provinces each commune came from, and the map's zoom presets computed from the boundaries."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from geo.communes import CSV, DATA, boundaries, inset_codes

FORMER = DATA / "former_provinces.csv"
PADDING = 0.02  # share of a preset's span added on each side, so edge communes are not cut


@lru_cache(maxsize=1)
def former_province() -> pd.Series:
    """Commune code → the code of the province it belonged to before 1 July 2025 (74, 77 or 79), by the GSO
    code block its own code falls in (data/SOURCES.md)."""
    blocks = pd.read_csv(FORMER, dtype={"province_code": str})
    codes = pd.read_csv(CSV, dtype={"code": str})["code"]
    out = {}
    for code in codes:
        hits = blocks[(blocks.first_commune_code <= int(code)) & (int(code) <= blocks.last_commune_code)]
        if len(hits) != 1:
            raise ValueError(f"commune {code} falls in {len(hits)} former-province blocks")
        out[code] = hits.province_code.iloc[0]
    return pd.Series(out, name="former_province")


def _groups() -> dict[str, list[str]]:
    gdf = boundaries()
    province = former_province().reindex(gdf.index)
    islands = set(inset_codes())
    mainland = [c for c in gdf.index if c not in islands]
    return {
        "city": mainland,
        # the urban core: the wards of the former Hồ Chí Minh City (the old inner and Thủ Đức districts)
        "core": [c for c in mainland if province[c] == "79" and gdf.at[c, "type"] == "phường"],
        "binh_duong": [c for c in mainland if province[c] == "74"],
        "ba_ria_vung_tau": [c for c in mainland if province[c] == "77"],
        "con_dao": sorted(islands),
    }


PRESETS = ("city", "core", "binh_duong", "ba_ria_vung_tau", "con_dao")


@lru_cache(maxsize=1)
def zoom_presets() -> dict[str, dict]:
    """Preset → {"codes": the communes it frames, "lon": [min, max], "lat": [min, max]} with a margin."""
    gdf = boundaries()
    out = {}
    for key, codes in _groups().items():
        x0, y0, x1, y1 = gdf.loc[codes].total_bounds
        dx, dy = (x1 - x0) * PADDING, (y1 - y0) * PADDING
        out[key] = {"codes": codes, "lon": [round(float(x0 - dx), 4), round(float(x1 + dx), 4)],
                    "lat": [round(float(y0 - dy), 4), round(float(y1 + dy), 4)]}
    return out
