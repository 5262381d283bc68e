"""The Plan 02 page: the targets registry judged today (rendered by the router on each visit)."""
from __future__ import annotations

from sqlalchemy import Engine

from callbacks.context import PageQuery
from layouts import plan02 as plan02_layout
from metrics.targets import evaluate
from metrics.time import local_day, now
from metrics.units import commune_table


def plan02_page(engine: Engine, query: PageQuery):
    today = local_day(now())
    return plan02_layout.layout(lang=query.lang, evaluated=evaluate(engine, today), today=today,
                                communes=len(commune_table(engine)))

