"""Configuration from the environment, with safe defaults for the embedded mode.

Nothing here opens a connection: values are read when `Settings.from_env()` is called.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'ioc.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    sources_file: str | None
    port: int
    language: str
    # Production knobs (issue 8); defaults keep the embedded mode working with no Redis.
    frame_cache_seconds: int = 86400
    lock_poll_seconds: float = 5.0
    web_concurrency: int | None = None

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or None,
            # The embedded demo mode may run without a secret; accounts (issue 7) will require one.
            secret_key=env.get("SECRET_KEY") or "embedded-demo-mode",
            sources_file=env.get("IOC_SOURCES") or None,
            port=int(env.get("PORT") or 8050),
            language=env.get("IOC_LANGUAGE") or "vi",
            frame_cache_seconds=int(env.get("IOC_FRAME_CACHE_SECONDS") or 86400),
            lock_poll_seconds=float(env.get("IOC_LOCK_POLL_SECONDS") or 5.0),
            web_concurrency=int(env["WEB_CONCURRENCY"]) if env.get("WEB_CONCURRENCY") else None,
        )
