"""Snapshots in the store: create, list, get, delete, and the files rendered from them (rendered once, kept).

A file is rendered from the snapshot's frozen payload the first time it is asked for and its bytes are
stored with their SHA-256; every later download returns those bytes, whatever data arrived since.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from exports import exporter
from metrics.time import now
from snapshots.build import freeze
from access import scope as access_scope
from snapshots.scope import Scope, check_id, new_id, readable
from store.schema import snapshot_files, snapshots


class SnapshotNotFound(KeyError):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    scope_kind: str
    scope_code: str
    period_start: date
    period_end: date
    data_version: int
    targets_version: str
    created_at: datetime
    created_by: str | None
    schedule: str | None
    demo: bool

    @property
    def scope_key(self) -> str:
        return "city" if self.scope_kind == "city" else f"{self.scope_kind}:{self.scope_code}"

    def as_json(self) -> dict:
        return {"id": self.id, "scope": self.scope_key, "from": self.period_start.isoformat(),
                "to": self.period_end.isoformat(), "data_version": self.data_version,
                "targets_version": self.targets_version, "created_at": self.created_at.isoformat(),
                "created_by": self.created_by, "schedule": self.schedule, "demo": self.demo}


_INFO = [snapshots.c[f] for f in SnapshotInfo.__dataclass_fields__]


def _dumps(payload: dict) -> str:
    # Sorted keys and no NaN: the same payload is always the same text.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(",", ":"))


def create(engine: Engine, scope: Scope, start: date, end: date, *, created_by: str | None = None,
           schedule: str | None = None, map_kpi: str | None = None, formats: tuple[str, ...] = (),
           progress=None) -> SnapshotInfo:
    """Freeze the scope's KPI frame over [start, end], store it, and render `formats` now.
    `progress(done, total, step)` is told about each step (the CLI draws a bar with it)."""
    steps = 1 + len(formats)
    tell = progress or (lambda *_: None)
    tell(0, steps, "KPI frame")
    payload = freeze(engine, scope, start, end, **({"map_kpi": map_kpi} if map_kpi else {}))
    created_at = now().replace(microsecond=0)
    for _ in range(5):  # 71 random bits: a clash is astronomically rare, but never overwrite
        snapshot_id = new_id()
        payload["snapshot"] = {"id": snapshot_id, "created_at": created_at.isoformat(), "created_by": created_by,
                               "schedule": schedule}
        try:
            with engine.begin() as conn:
                conn.execute(insert(snapshots).values(
                    id=snapshot_id, scope_kind=scope.kind, scope_code=scope.code, period_start=start,
                    period_end=end, data_version=payload["data_version"], targets_version=payload["targets_version"],
                    created_at=created_at, created_by=created_by, schedule=schedule, demo=payload["demo"],
                    frame=_dumps(payload)))
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("could not draw an unused snapshot id")
    for i, fmt in enumerate(formats, start=1):
        tell(i, steps, fmt)
        file(engine, snapshot_id, fmt)
    tell(steps, steps, "done")
    return get(engine, snapshot_id)


def get(engine: Engine, snapshot_id: str) -> SnapshotInfo:
    check_id(snapshot_id)
    with engine.connect() as conn:
        row = conn.execute(select(*_INFO).where(snapshots.c.id == snapshot_id)).first()
    if row is None or not readable(row.scope_kind, row.scope_code):  # another scope's: as if it did not exist
        raise SnapshotNotFound(snapshot_id)
    return SnapshotInfo(**row._mapping)


def payload(engine: Engine, snapshot_id: str) -> dict:
    get(engine, snapshot_id)  # the id checked, the asker's scope too
    with engine.connect() as conn:
        text = conn.execute(select(snapshots.c.frame).where(snapshots.c.id == snapshot_id)).scalar()
    if text is None:
        raise SnapshotNotFound(snapshot_id)
    return json.loads(text)


def listing(engine: Engine, limit: int = 200, scope: Scope | None = None) -> list[SnapshotInfo]:
    """The newest snapshots first."""
    q = select(*_INFO).order_by(snapshots.c.created_at.desc(), snapshots.c.id).limit(limit)
    if scope is not None:
        q = q.where(snapshots.c.scope_kind == scope.kind, snapshots.c.scope_code == scope.code)
    asker = access_scope.current()
    if not asker.everything:
        q = q.where(snapshots.c.scope_kind != "city", snapshots.c.scope_code.in_(sorted(asker.units)))
    with engine.connect() as conn:
        return [SnapshotInfo(**r._mapping) for r in conn.execute(q)]


def file(engine: Engine, snapshot_id: str, fmt: str) -> tuple[bytes, str]:
    """(bytes, sha256) of the snapshot rendered as `fmt`: stored bytes when rendered before, else rendered
    from the frozen payload now and stored (a concurrent render of the same file keeps the first one)."""
    render = exporter(fmt)  # an unknown format is refused before anything is read
    get(engine, snapshot_id)  # the id checked, the asker's scope too
    with engine.connect() as conn:
        row = conn.execute(select(snapshot_files.c.content, snapshot_files.c.sha256).where(
            snapshot_files.c.snapshot_id == snapshot_id, snapshot_files.c.format == fmt)).first()
    if row is not None:
        return bytes(row.content), row.sha256
    content = render.render(payload(engine, snapshot_id))
    digest = hashlib.sha256(content).hexdigest()
    try:
        with engine.begin() as conn:
            conn.execute(insert(snapshot_files).values(snapshot_id=snapshot_id, format=fmt, content=content,
                                                       sha256=digest, rendered_at=now()))
    except IntegrityError:
        return file(engine, snapshot_id, fmt)
    return content, digest


def rendered_formats(engine: Engine, snapshot_id: str) -> dict[str, str]:
    """{format: sha256} of the files already rendered."""
    with engine.connect() as conn:
        return dict(conn.execute(select(snapshot_files.c.format, snapshot_files.c.sha256)
                                 .where(snapshot_files.c.snapshot_id == snapshot_id)).all())


def delete_before(engine: Engine, schedule: str, before: datetime) -> int:
    """Retention: delete the snapshots a schedule made before `before` (their files with them)."""
    with engine.begin() as conn:
        old = select(snapshots.c.id).where(snapshots.c.schedule == schedule, snapshots.c.created_at < before)
        conn.execute(delete(snapshot_files).where(snapshot_files.c.snapshot_id.in_(old)))
        return conn.execute(delete(snapshots).where(snapshots.c.schedule == schedule,
                                                    snapshots.c.created_at < before)).rowcount
