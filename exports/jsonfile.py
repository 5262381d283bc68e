"""JSON: the snapshot's frozen payload itself (UTF-8, sorted keys, no data as null)."""
from __future__ import annotations

import json


class JSON:
    format = "json"
    media_type = "application/json"

    def render(self, payload: dict) -> bytes:
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False).encode("utf-8")
