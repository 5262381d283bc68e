"""The scheduler lock: one running scheduler per store, however many `cli.py worker` were started.

The lock lives as long as the process holding it, and no longer, without a lease or a clock:
- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection of its own, in autocommit
  (no transaction left open). The server drops it when that session ends: the process died, was killed, or
  its host fell off the network (TCP keepalives notice that).
- SQLite: an exclusive `flock` on `<database file>.scheduler.lock` beside the database. The kernel drops it
  when the process dies, however it dies. A SQLite store is on one host by nature, so a host-local lock
  covers every process that can open the file. (A row in the database would need a lease, a heartbeat and
  a timeout before a standby may take over; a database lock held for hours would block the writers.)
Pulls happen in the process holding the lock (the pipeline's helper processes are spawned, not forked,
and inherit neither the lock file nor the connection).
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

SCHEDULER = "ioc:scheduler"


def _advisory_key(name: str) -> int:
    """A stable positive 63-bit key for the name (advisory locks are scoped to one database already)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


class StoreLock(ABC):
    """An exclusive lock on a store, held until released or until the holding process dies."""

    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    @abstractmethod
    def held(self) -> bool:
        """True while this process still holds the lock (False once it was lost, e.g. the session died)."""

    @abstractmethod
    def release(self) -> None:
        ...

    def wait(self, poll_seconds: float, stop: threading.Event | None = None) -> bool:
        """Poll until the lock is ours (True) or `stop` is set (False). A standby scheduler waits here and
        takes over within `poll_seconds` of the holder's death."""
        announced = False
        while not (stop is not None and stop.is_set()):
            try:
                if self.try_acquire():
                    return True
            except Exception as exc:  # noqa: BLE001 — the database restarting: stand by and try again
                log.warning("scheduler lock: %s: %s; trying again", type(exc).__name__, exc)
            if not announced:
                log.info("another scheduler holds the lock; standing by (checking every %.0fs)", poll_seconds)
                announced = True
            if stop is not None:
                stop.wait(poll_seconds)
            else:
                time.sleep(poll_seconds)
        return False


class PostgresLock(StoreLock):
    def __init__(self, database_url: str, name: str = SCHEDULER):
        # NullPool: this connection is never shared with the store's pool nor returned to it.
        self._engine = create_engine(database_url, poolclass=NullPool, connect_args={
            "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
            "application_name": "ioc-scheduler-lock"})
        self._key = _advisory_key(name)
        self._conn = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar_one():
            self._conn = conn
            return True
        conn.close()
        return False

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            return bool(self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
                "AND ((classid::bigint << 32) | objid::bigint) = :k"), {"k": self._key}).scalar_one())
        except Exception:  # noqa: BLE001 — a dead session holds nothing
            log.exception("the scheduler lock's database session is gone")
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 — already broken
                pass

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            finally:
                self._conn.close()
                self._conn = None
        self._engine.dispose()


class FileLock(StoreLock):
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking; never read back
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ProcessLock(StoreLock):
    """An in-memory SQLite store lives in one process: a lock within the process is enough."""

    _locks: dict[str, threading.Lock] = {}

    def __init__(self, name: str):
        self._lock = self._locks.setdefault(name, threading.Lock())
        self._held = False

    def try_acquire(self) -> bool:
        if not self._held:
            self._held = self._lock.acquire(blocking=False)
        return self._held

    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        if self._held:
            self._lock.release()
            self._held = False


def lock_for(database_url: str, name: str = SCHEDULER) -> StoreLock:
    """The scheduler lock of the store at `database_url` (not yet taken)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLock(database_url, name)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return ProcessLock(f"{database_url}#{name}")
        suffix = name.split(":")[-1]
        return FileLock(Path(url.database).with_name(f"{Path(url.database).name}.{suffix}.lock"))
    raise ValueError(f"no scheduler lock for {url.get_backend_name()} databases")
