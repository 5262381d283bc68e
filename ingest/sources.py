"""Sources to pull: entries of the YAML file named by IOC_SOURCES, or the demo feed alone.

Each entry has at least `name`, `kind` and `every` ("90s", "1m", "15m", "2h" or seconds); the
other keys belong to the connector kind. Secrets are named as environment variables, never written here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEMO_SOURCE = {"name": "demo", "kind": "demo", "every": "1m"}


def parse_interval(value) -> timedelta:
    if isinstance(value, (int, float)) and value > 0:
        return timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", str(value))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"interval {value!r}: write a positive number of s, m, h or d, e.g. '15m'")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    every: timedelta
    stale_after: timedelta
    options: dict = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: dict) -> "SourceConfig":
        missing = [k for k in ("name", "kind", "every") if k not in entry]
        if missing:
            raise ValueError(f"source entry {entry!r} lacks {', '.join(missing)}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", str(entry["name"])):
            raise ValueError(f"source name {entry['name']!r}: use lower-case letters, digits, '-' or '_'")
        every = parse_interval(entry["every"])
        # A source is stale once three scheduled pulls in a row have not succeeded, unless it says otherwise.
        stale_after = parse_interval(entry["stale_after"]) if "stale_after" in entry else 3 * every
        options = {k: v for k, v in entry.items() if k not in {"name", "kind", "every", "stale_after"}}
        return cls(str(entry["name"]), str(entry["kind"]), every, stale_after, options)


def load_sources(path: str | None) -> list[SourceConfig]:
    """The configured sources; without a file, the demo feed is the only one."""
    if not path:
        return [SourceConfig.from_entry(DEMO_SOURCE)]
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries = data.get("sources", data) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected a list of sources under 'sources:'")
    sources = [SourceConfig.from_entry(e) for e in entries]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: source names must be unique, got {names}")
    return sources
