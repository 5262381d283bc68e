"""Backup and restore of the whole store, consistent while the dashboard runs.

- PostgreSQL: `pg_dump -Fc` (one consistent snapshot, compressed) and `pg_restore --clean --single-transaction`
  (the old tables are replaced in one transaction: readers see the old store or the new one, never half).
  The client's major version must be at least the server's (pg_dump refuses newer servers); both are checked.
- SQLite: the sqlite3 backup API, page by page under one read transaction (a consistent copy while the
  scheduler writes); a restore copies the file back into the live database the same way.
A restore needs the scheduler stopped (it takes the scheduler lock, so it refuses while one runs), then
migrates the restored store to this code's schema and moves the data version past every version served
before, so no cache (in a worker or in Redis) can hand out frames of the store that was replaced.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, select, text, update
from sqlalchemy.engine import make_url

from metrics.time import now
from store.db import engine_for
from store.lock import lock_for
from store.schema import data_version


class BackupError(RuntimeError):
    pass


def _sqlite_file(database_url: str) -> Path:
    return Path(make_url(database_url).database)


def _libpq(database_url: str) -> tuple[str, dict]:
    """(a libpq connection URL without the password, the environment carrying it)."""
    url = make_url(database_url).set(drivername="postgresql")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("IOC_PG_BIN") or None) or shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install PostgreSQL's client (Debian: postgresql-client-15) "
                          f"or point IOC_PG_BIN at its bin folder")
    return found


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"cannot read a version from {version_text!r}")
    return int(match.group(1))


def check_client(database_url: str, tool: str) -> str:
    """The tool's path, after checking its major version can handle the server's."""
    path = _tool(tool)
    client = _major(subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout)
    with engine_for(database_url).connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if client < server:
        raise BackupError(f"{tool} {client} cannot handle a PostgreSQL {server} server: install "
                          f"postgresql-client-{server} (or set IOC_PG_BIN)")
    return path


def backup(database_url: str, path: str | Path) -> Path:
    """Write a backup of the store to `path` (PostgreSQL: custom-format dump; SQLite: a database file)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(database_url).get_backend_name()
    if backend == "postgresql":
        tool = check_client(database_url, "pg_dump")
        url, env = _libpq(database_url)
        done = subprocess.run([tool, "--format=custom", "--file", str(path), url], env=env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return path
    if backend == "sqlite":
        source = _sqlite_file(database_url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        if path == source.resolve():
            raise BackupError("the backup would overwrite the database itself")
        if path.exists():
            path.unlink()
        src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(path)
        try:
            with dst:
                src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
        finally:
            dst.close()
            src.close()
        return path
    raise BackupError(f"no backup for {backend} databases")


def _version(database_url: str) -> int:
    engine = engine_for(database_url)
    if not inspect(engine).has_table("data_version"):
        return 0
    with engine.connect() as conn:
        return conn.execute(select(data_version.c.version).where(data_version.c.id == 1)).scalar() or 0


def restore(database_url: str, path: str | Path) -> int:
    """Replace the store's contents with the backup at `path`; returns the new data version."""
    from store.migrate import upgrade

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    lock = lock_for(database_url)
    if not lock.try_acquire():
        raise BackupError("a scheduler is running on this store: stop `cli.py worker` first")
    try:
        before = _version(database_url)
        backend = make_url(database_url).get_backend_name()
        if backend == "postgresql":
            tool = check_client(database_url, "pg_restore")
            url, env = _libpq(database_url)
            engine_for(database_url).dispose()  # our own idle connections would hold locks the DROPs wait for
            done = subprocess.run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                   "--single-transaction", "--exit-on-error", "--dbname", url, str(path)],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        elif backend == "sqlite":
            target = _sqlite_file(database_url)
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                if not src.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
                    raise BackupError(f"{path} is not a backup of this dashboard's store")
                target.parent.mkdir(parents=True, exist_ok=True)
                dst = sqlite3.connect(target, timeout=30)
                try:
                    src.backup(dst)  # page copy under the destination's write lock; readers wait, then see it
                finally:
                    dst.close()
            finally:
                src.close()
            engine_for(database_url).dispose()
        else:
            raise BackupError(f"no restore for {backend} databases")
        upgrade(database_url)  # a backup of an older release is brought to this code's schema
        with engine_for(database_url).begin() as conn:
            restored = conn.execute(select(data_version.c.version).where(data_version.c.id == 1)).scalar_one()
            version = max(before, restored) + 1
            conn.execute(update(data_version).where(data_version.c.id == 1).values(version=version,
                                                                                  changed_at=now()))
        return version
    finally:
        lock.release()
