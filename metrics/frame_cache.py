"""Where KPI frames are kept between requests: in the process, or in Redis shared by every web worker.

A key names the database, its data version and the period, so an entry is never stale: a new batch bumps
the version and the next request computes (once, in whichever worker asks first) and shares the new frames.
- `LocalFrameCache`: a bounded LRU of frames in this process (the embedded mode; no Redis needed).
- `SharedFrameCache`: Redis through Flask-Caching's `RedisCache` (REDIS_URL), with a small local LRU in
  front: entries never change once written, so a worker decodes each frame at most once.
Frames cross Redis as float64 buffers plus a JSON header (`encode` / `decode`): exact values and dtypes,
NaN included, and no pickle (nothing read from Redis is ever executed).
"""
from __future__ import annotations

import hashlib
import json
import logging
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

Frames = tuple[pd.DataFrame, ...]
MAGIC = b"IOCF1"


def database_name(database_url: str) -> str:
    """The store as the cache names it: a hash, so its URL (and password) never reaches Redis."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def cache_key(database_url: str, version: str, start: date, end: date) -> str:
    return f"frame:{database_name(database_url)}:{version}:{start.isoformat()}:{end.isoformat()}".replace(" ", "T")


def encode(frames: Frames) -> bytes:
    """Frames of float64 values as one buffer: MAGIC, header length, JSON header, raw values."""
    header, buffers = [], []
    for frame in frames:
        if not all(dtype == np.float64 for dtype in frame.dtypes):
            raise TypeError("only frames of float64 values are cached")
        values = np.ascontiguousarray(frame.to_numpy(np.float64))
        header.append({"index": [str(i) for i in frame.index], "index_name": frame.index.name,
                       "columns": [str(c) for c in frame.columns], "rows": values.shape[0]})
        buffers.append(values.astype("<f8", copy=False).tobytes())
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([MAGIC, struct.pack("<I", len(head)), head, *buffers])


def decode(blob: bytes) -> Frames:
    if not blob.startswith(MAGIC):
        raise ValueError("not an encoded frame")
    (length,) = struct.unpack_from("<I", blob, len(MAGIC))
    offset = len(MAGIC) + 4
    header = json.loads(blob[offset:offset + length])
    offset += length
    frames = []
    for part in header:
        shape = (part["rows"], len(part["columns"]))
        count = shape[0] * shape[1]
        values = np.frombuffer(blob, dtype="<f8", count=count, offset=offset).reshape(shape).astype(np.float64)
        offset += count * 8
        frames.append(pd.DataFrame(values, index=pd.Index(part["index"], name=part["index_name"]),
                                   columns=part["columns"], copy=False))
    return tuple(frames)


class FrameCache(ABC):
    @abstractmethod
    def get(self, key: str) -> Frames | None:
        ...

    @abstractmethod
    def set(self, key: str, frames: Frames) -> None:
        ...

    @abstractmethod
    def clear(self) -> None:
        """Forget this process's entries (benchmarks measuring a cold start)."""

    # Which periods were read lately (metrics.frame.warm computes them again after new data).
    TOUCH_EVERY = 30.0  # seconds: a period read again sooner is not written again

    @abstractmethod
    def touch(self, database: str, start: date, end: date) -> None:
        ...

    @abstractmethod
    def recent(self, database: str, within_seconds: float) -> list[tuple[date, date]]:
        ...

    @abstractmethod
    def claim(self, name: str, seconds: int) -> bool:
        """True for the first caller of `name` in `seconds` (one warmer per data version across workers)."""


def _period(member: str) -> tuple[date, date]:
    start, end = member.split(":")
    return date.fromisoformat(start), date.fromisoformat(end)


class LocalFrameCache(FrameCache):
    def __init__(self, maxsize: int = 128):
        self.maxsize = maxsize
        self._entries: OrderedDict[str, Frames] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn threads share a worker's cache
        self._read_at: dict[tuple[str, str], float] = {}

    def touch(self, database: str, start: date, end: date) -> None:
        with self._lock:
            self._read_at[(database, f"{start.isoformat()}:{end.isoformat()}")] = time.monotonic()

    def recent(self, database: str, within_seconds: float) -> list[tuple[date, date]]:
        since = time.monotonic() - within_seconds
        with self._lock:
            for key in [k for k, at in self._read_at.items() if at < since]:
                del self._read_at[key]
            return [_period(member) for (db, member) in self._read_at if db == database]

    def claim(self, name: str, seconds: int) -> bool:
        return True  # one process: its own warmer is the only one

    def get(self, key: str) -> Frames | None:
        with self._lock:
            frames = self._entries.get(key)
            if frames is not None:
                self._entries.move_to_end(key)
            return frames

    def set(self, key: str, frames: Frames) -> None:
        with self._lock:
            self._entries[key] = frames
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _BytesSerializer:
    """Flask-Caching's Redis backend pickles by default; frames arrive here already as bytes."""

    def dumps(self, value: bytes) -> bytes:
        if not isinstance(value, bytes):
            raise TypeError("the frame cache stores bytes only")
        return value

    def loads(self, value: bytes | None) -> bytes | None:
        return value


class SharedFrameCache(FrameCache):
    """Redis (one computed frame for every worker and host) behind a per-process LRU. When Redis is
    unreachable the dashboard keeps serving: frames are computed and kept locally, and a warning is logged
    at most once a minute."""

    def __init__(self, redis_url: str, timeout_seconds: int = 86400, local_size: int = 32):
        from flask_caching.backends import RedisCache
        from redis import from_url

        client = from_url(redis_url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
        self.redis = RedisCache(host=client, default_timeout=timeout_seconds, key_prefix="ioc:")
        self.client = client  # sets and locks, which Flask-Caching does not offer
        self.redis.serializer = _BytesSerializer()
        self.local = LocalFrameCache(local_size)
        self._warned_at = 0.0
        self._touched: dict[tuple[str, str], float] = {}

    def _failed(self, what: str, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            log.warning("Redis frame cache: %s failed (%s: %s); computing locally", what, type(exc).__name__, exc)

    def get(self, key: str) -> Frames | None:
        frames = self.local.get(key)
        if frames is not None:
            return frames
        try:
            blob = self.redis.get(key)
        except Exception as exc:  # noqa: BLE001 — a cache outage must not take the pages down
            self._failed("get", exc)
            return None
        if blob is None:
            return None
        frames = decode(blob)
        self.local.set(key, frames)
        return frames

    def set(self, key: str, frames: Frames) -> None:
        self.local.set(key, frames)
        try:
            self.redis.set(key, encode(frames))
        except Exception as exc:  # noqa: BLE001 — see get
            self._failed("set", exc)

    def clear(self) -> None:
        self.local.clear()

    def touch(self, database: str, start: date, end: date) -> None:
        member, now_ = f"{start.isoformat()}:{end.isoformat()}", time.monotonic()
        if now_ - self._touched.get((database, member), -1e9) < self.TOUCH_EVERY:
            return
        self._touched[(database, member)] = now_
        try:  # one sorted set per database, scored by the last read (wall-clock: shared by every host)
            self.client.zadd(f"ioc:recent:{database}", {member: time.time()})
        except Exception as exc:  # noqa: BLE001 — see get
            self._failed("touch", exc)

    def recent(self, database: str, within_seconds: float) -> list[tuple[date, date]]:
        name = f"ioc:recent:{database}"
        try:
            client = self.client
            client.zremrangebyscore(name, 0, time.time() - within_seconds)
            members = client.zrange(name, 0, -1)
        except Exception as exc:  # noqa: BLE001 — see get
            self._failed("recent", exc)
            return []
        return [_period(m.decode() if isinstance(m, bytes) else m) for m in members]

    def claim(self, name: str, seconds: int) -> bool:
        try:
            return bool(self.client.set(f"ioc:claim:{name}", b"1", nx=True, ex=seconds))
        except Exception as exc:  # noqa: BLE001 — see get
            self._failed("claim", exc)
            return True  # Redis down: each worker warms its own local cache


@lru_cache(maxsize=4)
def frame_cache(redis_url: str | None, timeout_seconds: int = 86400) -> FrameCache:
    """One cache per process and configuration: Redis when a URL is given, else in-process."""
    return SharedFrameCache(redis_url, timeout_seconds) if redis_url else LocalFrameCache()
