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
    secret_key: str | None  # SECRET_KEY; the web app asks session_secret(), which refuses a missing one in production
    sources_file: str | None
    port: int
    language: str
    # Production knobs (issue 8); defaults keep the embedded mode working with no Redis.
    frame_cache_seconds: int = 86400
    lock_poll_seconds: float = 5.0
    web_concurrency: int | None = None
    production: bool = False  # IOC_ENV=production or a non-SQLite DATABASE_URL
    tls: bool = False  # IOC_TLS=1: served over HTTPS (Secure cookies, HSTS)
    trusted_proxies: int = 0  # IOC_TRUSTED_PROXIES=N: honour N hops of X-Forwarded-For/-Proto
    idle_minutes: int = 30  # IOC_IDLE_MINUTES: a person's session ends after this long without a request
    sso_header: str | None = None  # IOC_SSO_HEADER: a reverse proxy's authenticated-user header (off by default)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        production = env.get("IOC_ENV") == "production" or not database_url.startswith("sqlite")
        return cls(
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or None,
            secret_key=env.get("SECRET_KEY") or None,
            sources_file=env.get("IOC_SOURCES") or None,
            port=int(env.get("PORT") or 8050),
            language=env.get("IOC_LANGUAGE") or "vi",
            frame_cache_seconds=int(env.get("IOC_FRAME_CACHE_SECONDS") or 86400),
            lock_poll_seconds=float(env.get("IOC_LOCK_POLL_SECONDS") or 5.0),
            web_concurrency=int(env["WEB_CONCURRENCY"]) if env.get("WEB_CONCURRENCY") else None,
            production=production,
            tls=env.get("IOC_TLS", "").lower() in ("1", "true", "yes"),
            trusted_proxies=int(env.get("IOC_TRUSTED_PROXIES") or 0),
            idle_minutes=int(env.get("IOC_IDLE_MINUTES") or 30),
            sso_header=env.get("IOC_SSO_HEADER") or None,
        )

    def session_secret(self) -> str:
        """The key that signs sessions: SECRET_KEY, or in the embedded mode a per-machine one. Only the web
        app asks (the CLI and the scheduler sign nothing), so only the web app refuses to start without it."""
        return self.secret_key or _embedded_secret(self.production)


SECRET_FILE = ROOT / "var" / "secret_key"


def _embedded_secret(production: bool) -> str:
    """The embedded demo mode's per-machine key (var/secret_key, mode 0600, made once); production refuses
    to start without SECRET_KEY, since sessions signed with a key on disk beside the code are forgeable by
    anyone who can read the checkout."""
    if production:
        raise RuntimeError("SECRET_KEY is required in production (IOC_ENV=production or a PostgreSQL "
                           "DATABASE_URL): set it to a long random value, e.g. python -c "
                           "'import secrets; print(secrets.token_hex(32))'")
    import secrets

    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made before, or by a sibling worker a moment ago
        for _ in range(50):
            key = SECRET_FILE.read_text().strip()
            if key:
                return key
            import time

            time.sleep(0.02)
        raise RuntimeError(f"{SECRET_FILE} is empty: delete it to make a new key") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return SECRET_FILE.read_text().strip()
