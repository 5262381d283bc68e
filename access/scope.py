"""Scopes: the units (commune and department codes) an identity may read, or everything.

`current()` is the one place the data layer asks: everything outside a request (CLI, scheduler, worker), the
signed-in identity's scope inside one, and nothing for a request without an identity (the guard refuses
those first; this is the second lock).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVERYTHING_TEXT = "*"


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    units: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> "Scope":
        """'*' is everything; otherwise unit codes separated by spaces or commas."""
        codes = frozenset(c for c in (text or "").replace(",", " ").split() if c)
        return cls(everything=True) if EVERYTHING_TEXT in codes else cls(False, codes)

    def text(self) -> str:
        return EVERYTHING_TEXT if self.everything else " ".join(sorted(self.units))

    def allows(self, unit_code: str | None) -> bool:
        return self.everything or (unit_code is not None and unit_code in self.units)

    def mask(self, frame):
        """The frame with every row outside the scope read as no data (NaN). The index stays, so pages
        draw the 168 communes and say "no data" for the others; the city row is kept only for everything
        (a sum over units one may not read would disclose them)."""
        if self.everything:
            return frame
        outside = ~frame.index.isin(list(self.units))
        if outside.any():
            frame = frame.astype(float, copy=True) if frame.dtypes.ne(float).any() else frame.copy()
            frame.loc[outside, :] = np.nan
        return frame


EVERYTHING = Scope(everything=True)
NOTHING = Scope()


def current() -> Scope:
    from flask import g, has_request_context

    if not has_request_context():
        return EVERYTHING
    identity = g.get("identity")
    return identity.scope if identity is not None else NOTHING


def current_actor() -> str | None:
    """Who is asking, for records that say who made them (a snapshot's created_by); None outside a request."""
    from flask import g, has_request_context

    identity = g.get("identity") if has_request_context() else None
    return identity.actor if identity is not None else None
