"""Exports: one module per file format behind one small interface, and the registry that picks them.

An exporter renders a snapshot's frozen payload (snapshots/build.py) to bytes; it reads nothing else, so
the same payload always gives the same numbers. `exporter("xlsx").render(payload)`.
"""
from __future__ import annotations

from typing import Protocol


class Exporter(Protocol):
    format: str  # the file extension, also the API's and the CLI's name for it
    media_type: str

    def render(self, payload: dict) -> bytes: ...


class UnknownFormat(ValueError):
    pass


def _registry() -> dict[str, Exporter]:
    from exports import csvfile, jsonfile, pdf, png, xlsx

    return {e.format: e for e in (csvfile.CSV(), xlsx.XLSX(), pdf.PDF(), png.PNG(), jsonfile.JSON())}


def formats() -> tuple[str, ...]:
    return tuple(_registry())


def exporter(fmt: str) -> Exporter:
    registry = _registry()
    if fmt not in registry:
        raise UnknownFormat(f"unknown format {fmt!r}: one of {', '.join(registry)}")
    return registry[fmt]
