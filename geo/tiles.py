"""The equal-tile map: every commune one square of the same size, placed near its real position.

Area misleads on a wall (the large rural communes outweigh 80 small central wards), so this layout gives each
commune one cell. Positions are the communes' representative points, spread by blending each axis with its
rank (the dense core opens up, the order stays); cells are then handed out greedily from the centre outwards,
each commune taking the free cell nearest to it. Côn Đảo, far offshore, goes one empty row below the mainland.
Deterministic: the same boundaries always give the same layout (ties are broken by row, column, code).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from geo.communes import communes_frame, inset_codes

RANK_WEIGHT = 0.6   # 0 = raw positions (the core piles up), 1 = ranks only (the shape is lost)
CELLS_PER_COMMUNE = 1.9  # free room in the grid so each commune finds a cell near its position


def _spread(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    linear = (values - values.min()) / span
    ranks = (pd.Series(values).rank(method="first").to_numpy() - 1) / (len(values) - 1)
    return (1 - RANK_WEIGHT) * linear + RANK_WEIGHT * ranks


@lru_cache(maxsize=1)
def tile_layout() -> pd.DataFrame:
    """One row per commune (index: code) with its `col` and `row` (row 0 at the bottom, south)."""
    frame = communes_frame().set_index("code")
    islands = set(inset_codes())
    main = frame[~frame.index.isin(islands)]
    # metres-like axes: a degree of longitude is shorter than one of latitude by cos(latitude)
    x = main["lon"].to_numpy() * np.cos(np.radians(main["lat"].mean()))
    y = main["lat"].to_numpy()
    u, v = _spread(x), _spread(y)
    aspect = (x.max() - x.min()) / (y.max() - y.min())
    rows = int(np.ceil(np.sqrt(len(main) * CELLS_PER_COMMUNE / aspect)))
    cols = int(np.ceil(len(main) * CELLS_PER_COMMUNE / rows))
    px, py = u * (cols - 1), v * (rows - 1)
    cells = np.array([(r, c) for r in range(rows) for c in range(cols)], float)
    free = np.ones(len(cells), bool)
    order = np.lexsort((main.index.to_numpy(), np.hypot(px - px.mean(), py - py.mean())))
    placed = {}
    for i in order:
        d = (cells[:, 0] - py[i]) ** 2 + (cells[:, 1] - px[i]) ** 2
        d[~free] = np.inf
        best = int(np.argmin(d))  # argmin takes the first minimum: row-major order breaks ties
        free[best] = False
        placed[main.index[i]] = (int(cells[best, 1]), int(cells[best, 0]))
    out = pd.DataFrame.from_dict(placed, orient="index", columns=["col", "row"])
    out["row"] -= out["row"].min() - 2  # rows 0-1 below the mainland: Côn Đảo and a gap
    for k, code in enumerate(sorted(islands)):
        lon = frame.at[code, "lon"] * np.cos(np.radians(main["lat"].mean()))
        col = int(round((lon - x.min()) / (x.max() - x.min()) * (cols - 1)))
        out.loc[code] = (min(max(col + k, 0), cols - 1), 0)
    out["col"] -= out["col"].min()
    return out.astype(int).reindex(frame.index)


def grid_shape() -> tuple[int, int]:
    """(rows, cols) of the layout's grid."""
    layout = tile_layout()
    return int(layout["row"].max()) + 1, int(layout["col"].max()) + 1
