"""Parameters of the KPI definitions, read from metrics/data/rules.yaml (each with its source)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("data") / "rules.yaml"


@lru_cache(maxsize=1)
def rules() -> dict[str, dict]:
    with RULES_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def rule(name: str):
    return rules()[name]["value"]
