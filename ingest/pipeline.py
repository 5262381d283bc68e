"""One pull of one source: connector → validate → quarantine → upsert → rollups → watermark → run record.

Batches commit a few at a time (records, their daily rollups, quarantine and the run's counters
together; up to WRITE_ROWS records a transaction). The watermark
moves only when the whole window has committed, so a pull that dies half way is simply done again:
the upserts make that harmless.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue as queue_module
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Iterator

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine, select, update

from ingest import privacy
from ingest.connectors import connector_for
from ingest.connectors.base import ProgressCallback
from ingest.contracts import CONTRACTS, RecordKind
from ingest.sources import SourceConfig
from metrics.time import now
from store import rollups, writes
from store.schema import ingest_runs, source_states

log = logging.getLogger(__name__)
# Each batch adds its own change to the daily rollups in its transaction (store.rollups, deltas). The
# stocks derived from them (the backlog, rebuilt from the earliest touched day to today, and the months)
# are refreshed during a long pull, so the dashboard fills in as it goes: first after this many seconds,
# then at doubling intervals on a backfill (refreshing at a fixed pace made that quadratic in the history).
ROLLUP_EVERY_SECONDS = 20.0
# ... and never sooner than this many times the last refresh took.
ROLLUP_SPACING = 4.0


@dataclass
class RunResult:
    run_id: int
    source: str
    status: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    error: str | None = None
    # Seconds per stage (http, validate, prepare, write, deltas: the daily rollups, rollups: the stocks
    # and months). With preparing processes the first three run beside the others, so the sum can exceed
    # `seconds`.
    stages: dict[str, float] = field(default_factory=dict)
    rollup_refreshes: int = 0
    prepared_in_subprocess: bool = False


def _reason(error: dict) -> str:
    """'field: message', with the value the field had when it is a plain one (scrubbed, shortened)."""
    where = ".".join(map(str, error["loc"])) or "row"
    value = error.get("input")
    if error["type"] != "missing" and error["loc"] and (value is None or isinstance(value, (str, int, float))):
        shown = privacy.scrub_text(repr(value)[:80])
        return f"{where}: {error['msg']} (got {shown})"
    return f"{where}: {error['msg']}"


@lru_cache(maxsize=None)
def _batch_validator(kind: RecordKind) -> TypeAdapter:
    return TypeAdapter(list[CONTRACTS[kind]])


def validate(kind: RecordKind, rows: list[dict]) -> tuple[list, list[tuple[object, str]]]:
    """Split rows into contract records and (raw row, reason) pairs for quarantine.

    Free text is scrubbed of personal data first, and the quarantine keeps the raw row scrubbed too.
    A clean batch is validated in one call (cheaper than a call per row); a batch with a bad row is
    validated row by row, so each bad row gets its own reason and the good ones still pass.
    """
    scrubbed = privacy.scrub_rows(rows)
    try:
        return _batch_validator(kind).validate_python(scrubbed), []
    except (ValidationError, TypeError, ValueError, RecursionError):
        pass
    model = CONTRACTS[kind]
    good, bad = [], []
    for raw, clean in zip(rows, scrubbed):
        try:
            good.append(model.model_validate(clean))
        except ValidationError as exc:
            reason = "; ".join(_reason(e) for e in exc.errors())
            bad.append((privacy.scrub_payload(raw), reason))
        except (TypeError, ValueError, RecursionError) as exc:
            bad.append((privacy.scrub_payload(raw), f"row: {type(exc).__name__}: {exc}"))
    return good, bad


@dataclass
class PreparedBatch:
    prepared: writes.Prepared
    rejected: list[tuple[object, str]]
    read: int
    progress: float
    on_committed: object = None  # the connector's callback (never crosses a process: see _produce)
    stages: dict | None = None  # seconds spent on this batch: http (fetch and map), validate, prepare
    followed: bool = False  # the next batch came within WRITE_SECONDS of its group's first: one transaction
    part: int = 0  # which preparing process made it (_prepared_in_children)
    may_repeat: bool = False  # Batch.may_repeat: written after the rest of the pull, its ids looked up


def _add(into: dict, stages: dict) -> None:
    for name, seconds in stages.items():
        into[name] = into.get(name, 0.0) + seconds


# A backfill's batches are written several to a transaction: up to WRITE_ROWS rows, or what arrived
# within WRITE_SECONDS of the first (so the dashboard still fills in as it goes); on SQLite with a larger
# page cache and fewer WAL checkpoints. Each commit rewrote the index pages its batch dirtied (measured on
# 200,000 dossiers: 40 transactions 3.5 s; 10 transactions with a 64 MiB cache 1.9 s; the floor 2.6 s).
# Larger groups also share more rollup rows (200,000 dossiers on PostgreSQL, issue 3: groups of 40,000 made
# 141,381 rollup rows, added in 1.01 s; of 100,000, 107,906 in 0.67 s).
WRITE_ROWS = 100_000
WRITE_SECONDS = 2.0
SQLITE_WRITE_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}  # 64 MiB of cache; 64 MiB of WAL
# A pull that inserted this many records as new ANALYZEs their table on PostgreSQL before it goes on (as its
# manual advises after a bulk load): planned on the statistics of a near-empty table, each lookup of a batch's
# ids that followed scanned every stored record (issue 3: 0.3–0.5 s a lookup after a million dossiers).
ANALYZE_AFTER_ROWS = WRITE_ROWS


@contextmanager
def _write_pragmas(conn):
    """The pull's connection with SQLITE_WRITE_PRAGMAS, restored after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    before = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_WRITE_PRAGMAS}
    for name, value in SQLITE_WRITE_PRAGMAS.items():
        raw.execute(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        for name, value in before.items():
            raw.execute(f"PRAGMA {name}={int(value)}")


@contextmanager
def _collect_between_writes(in_child: bool):
    """While batches arrive from preparing processes (each unpickled as ~100,000 objects that die by
    reference counting), the cyclic collector runs once a write instead of every few thousand objects."""
    if not in_child or not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        gc.enable()


def _rollup_seconds(stages: dict) -> float:
    return stages.get("rollups", 0.0) + stages.get("deltas", 0.0)


def prepared_batches(source: SourceConfig, since: datetime | None, until: datetime, sqlite: bool, part: int = 0,
                     parts: int = 1, as_copy_text: bool = False, claim=None) -> Iterator[PreparedBatch]:
    """The source's batches (part `part` of `parts`: Connector.pull_part, with `claim`), validated and converted
    to driver rows (with `as_copy_text`, new dossiers as PostgreSQL COPY text: writes.prepare): everything but the
    writing."""
    connector = connector_for(source)
    batches = connector.pull(since, until) if parts == 1 else connector.pull_part(since, until, part, parts, claim)
    try:
        while True:
            started = time.perf_counter()
            batch = next(batches, None)
            if batch is None:
                return
            fetched = time.perf_counter()
            good, bad = validate(batch.kind, batch.rows)
            validated = time.perf_counter()
            prepared = writes.prepare(source.name, batch.kind, good, sqlite, as_copy_text and not batch.may_repeat)
            stages = {"http": fetched - started, "validate": validated - fetched,
                      "prepare": time.perf_counter() - validated}
            yield PreparedBatch(prepared, bad, len(batch.rows), batch.progress, batch.on_committed, stages,
                                may_repeat=batch.may_repeat)
    finally:
        batches.close()


_DONE = "done"
PRODUCER_QUEUE = 8  # batches prepared ahead of the writer: bounds the memory a backfill holds
# Preparing processes on a backfill, each with its part of the window (Connector.pull_part): one a core, as
# preparing costs more than writing (issue 3, a million dossiers on 2 cores: ~27 CPU seconds of preparing
# against ~22 of writing on SQLite).
PREPARING_PROCESSES = max(1, min(os.cpu_count() or 1, 4))
PREPARING_NICENESS = 10


def _hand_over(out, item, parent: int) -> None:
    while True:
        try:
            return out.put(item, timeout=1)
        except queue_module.Full:
            if os.getppid() != parent:  # the writer died (killed): nobody will read, so stop
                os._exit(1)


def _claimer(taken) -> Callable[[], int]:
    """Connector.pull_part's `claim` over a counter the preparing processes share."""
    def claim() -> int:
        with taken.get_lock():
            taken.value += 1
            return taken.value - 1
    return claim


def _produce(source: SourceConfig, since, until, sqlite: bool, out, parent: int | None = None,
             part: int = 0, parts: int = 1, taken=None) -> None:
    """In a child process: prepare part `part` of `parts` of the batches (slices taken from the shared counter
    `taken`) and hand them over, each with its part's number; the parent writes them."""
    parent = parent or os.getppid()
    # Below the writer (and the web workers): the writer is the pull's critical path, and preparing ahead of it
    # only fills the queue. On 2 cores three equal processes gave the writer two thirds of a core (issue 3).
    os.nice(PREPARING_NICENESS)
    # A page makes ~100,000 container objects that die by reference counting: the cyclic collector's passes
    # over them were ~15 % of preparing (measured). Here (a process of its own) it runs once in 10 batches
    # instead (once a batch it still cost ~1.3 µs a dossier: each pass walks the batch still being handed over).
    gc.disable()
    try:
        # PostgreSQL: new dossiers handed over as COPY text, formatted here rather than row by row by the writer.
        batches = prepared_batches(source, since, until, sqlite, part, parts, as_copy_text=not sqlite,
                                   claim=_claimer(taken) if taken is not None else None)
        for done, item in enumerate(batches, start=1):
            item.on_committed = None  # a callback cannot be pickled; kinds prepared here use none
            item.part = part
            _hand_over(out, item, parent)
            if done % 10 == 0:
                gc.collect(2 if done % 50 == 0 else 1)
        _hand_over(out, (_DONE, part), parent)
    except BaseException as exc:  # the parent records it as the pull's failure
        _hand_over(out, RuntimeError(f"{type(exc).__name__}: {exc}"), parent)


def _prepared_in_children(source: SourceConfig, since, until, sqlite: bool,
                          parts: int = 1) -> Iterator[PreparedBatch]:
    """Preparing (generate, validate, convert) costs more than writing: on a backfill it runs in `parts`
    processes beside the writer, each with its part of the window (measured: the demo's history loads ~1.6×
    faster with one; issue 3: a million dossiers over HTTP on SQLite in 28.3 s with two, niced, against
    30.8 s with one). A batch's progress is the mean over the parts."""
    context = multiprocessing.get_context("spawn")  # no fork: the scheduler process has threads
    out = context.Queue(maxsize=PRODUCER_QUEUE * parts)
    taken = context.Value("i", 0)  # the slices the parts have taken (Connector.pull_part's `claim`)
    children = [context.Process(target=_produce, daemon=True, name=f"prepare:{source.name}:{part}",
                                args=(source, since, until, sqlite, out, os.getpid(), part, parts, taken))
                for part in range(parts)]
    for child in children:
        child.start()
    try:
        yield from _handed_on(out, children, source.name)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(timeout=10)


def _handed_on(out, children: list, name: str, clock: Callable[[], float] = time.monotonic
               ) -> Iterator[PreparedBatch]:
    """The preparing processes' batches from `out` in arrival order, each marked `followed` when the next one
    arrived before its group (as the writer groups them: up to WRITE_ROWS rows of one record kind) had waited
    WRITE_SECONDS; else it is handed on at that deadline, and the writer commits. Each group has its own deadline
    (issue 3: the pull's first one was kept, so every moment the queue was empty split a group; groups of 2–3
    batches came between the full ones, and a million dossiers made 706,178 rollup rows to add, now 633,326)."""
    parts = len(children)
    progress, running = [0.0] * parts, parts
    held, deadline, grouped = None, 0.0, 0  # grouped: rows of held's group handed on before it
    while True:
        try:
            item = out.get(timeout=5 if held is None else max(deadline - clock(), 0.0))
        except queue_module.Empty:
            if held is not None:
                held.followed = False
                yield held
                held = None
                continue
            dead = [c for c in children if not c.is_alive()]
            if any(c.exitcode for c in dead) or len(dead) == parts:
                raise RuntimeError(f"a preparing process of {name} died (exit codes "
                                   f"{', '.join(str(c.exitcode) for c in dead)})")
            continue
        if isinstance(item, tuple) and item[0] == _DONE:
            progress[item[1]], running = 1.0, running - 1
            if running:
                continue
        if isinstance(item, BaseException) or not running:
            if held is not None:  # what was prepared before the fault or the end is written first
                held.followed = False
                yield held
            if isinstance(item, BaseException):
                raise item
            return
        progress[item.part] = item.progress
        item.progress = sum(progress) / parts
        if held is not None:
            held.followed = True
            yield held
            grouped += 0 if held.may_repeat else held.read  # the writer keeps those apart
            if grouped >= WRITE_ROWS or item.prepared.kind is not held.prepared.kind:
                held = None  # the writer has written that group: item starts the next one
        if held is None:
            deadline, grouped = clock() + WRITE_SECONDS, 0
        held = item


def _together(batches: list[PreparedBatch]) -> PreparedBatch:
    """Batches of one record kind whose rows may repeat others, as one, to be looked up and upserted in one go
    (their ids may repeat each other too: no own rollup rows, so the store never inserts them as new)."""
    kind = batches[0].prepared.kind
    if any(b.prepared.copy_text is not None for b in batches):  # prepared_batches never makes it for these
        raise ValueError("rows that may repeat others must come as driver rows, not COPY text")
    prepared = writes.Prepared(kind, [row for b in batches for row in b.prepared.rows],
                               [i for b in batches for i in b.prepared.ids],
                               set().union(*(b.prepared.days for b in batches)))
    return PreparedBatch(prepared, [r for b in batches for r in b.rejected], sum(b.read for b in batches),
                         1.0, may_repeat=True)  # written once everything else is: the whole window is read


def _start_run(engine: Engine, source: SourceConfig, until: datetime,
               replay_from: datetime | None = None) -> tuple[int, datetime | None]:
    with engine.begin() as conn:
        state = conn.execute(select(source_states).where(source_states.c.source == source.name)).first()
        if state is None:
            conn.execute(source_states.insert().values(source=source.name, kind=source.kind))
        since = replay_from if replay_from is not None else (state.watermark if state else None)
        run_id = conn.execute(ingest_runs.insert().values(
            source=source.name, started_at=now(), status="running", window_from=since, window_to=until,
            progress=0.0, rows_read=0, rows_stored=0, rows_quarantined=0)).inserted_primary_key[0]
    return run_id, since


def pull(engine: Engine, source: SourceConfig, until: datetime | None = None,
         progress: ProgressCallback | None = None, replay_from: datetime | None = None) -> RunResult:
    """Pull `source` for (watermark, until] and record the run; never raises for a source's fault.

    `replay_from` pulls (replay_from, until] instead: after a mapping was fixed, the rows a drifted
    schema sent to quarantine are read again (re-reading what is held is harmless).
    """
    until = until or now()
    started = time.monotonic()
    run_id, since = _start_run(engine, source, until, replay_from)
    result = RunResult(run_id, source.name, "running")
    dossier_days: set[date] = set()
    ticket_days: set[date] = set()
    last_rollup, rollup_interval = time.monotonic(), ROLLUP_EVERY_SECONDS

    def commit_rollups(conn) -> float:
        started = time.perf_counter()
        # The version first: its row is held to the end of the transaction, so two pulls (of any sources)
        # rebuild the stocks one after the other (both deleting then inserting a day's rows collided).
        writes.bump_data_version(conn)
        rollups.refresh_stocks(conn, dossier_days, ticket_days)
        dossier_days.clear()
        ticket_days.clear()
        seconds = time.perf_counter() - started
        _add(result.stages, {"rollups": seconds})
        result.rollup_refreshes += 1
        return seconds

    try:
        sqlite = engine.dialect.name == "sqlite"
        connector = connector_for(source)
        in_child = connector.prepare_in_subprocess and connector.worth_a_subprocess(since, until)
        result.prepared_in_subprocess = in_child
        batches = (_prepared_in_children(source, since, until, sqlite, PREPARING_PROCESSES) if in_child
                   else prepared_batches(source, since, until, sqlite))

        # A backfill's batches are inserted as new without looking their ids up, until one turns out not to be.
        assume_new = since is None
        inserted_as_new: dict[RecordKind, int] = {}

        def write(conn, group: list[PreparedBatch]) -> None:
            nonlocal last_rollup, rollup_interval, assume_new
            writing, rolled = time.perf_counter(), _rollup_seconds(result.stages)
            outcomes, pending = [], []
            with conn.begin():
                for batch in group:
                    kind = batch.prepared.kind
                    stored, days = writes.store_prepared(conn, source.name, batch.prepared, deltas=True,
                                                        stages=result.stages, pending=pending,
                                                        assume_new=assume_new)
                    if batch.prepared.contributions is not None:  # insertable as new: was it?
                        assume_new = batch.prepared.inserted_as_new
                    if batch.prepared.inserted_as_new:
                        inserted_as_new[kind] = inserted_as_new.get(kind, 0) + stored
                    (dossier_days if kind is RecordKind.dossier else ticket_days).update(days)
                    quarantined = writes.quarantine_rows(conn, source.name, run_id, kind, batch.rejected)
                    result.rows_read += batch.read
                    result.rows_stored += stored
                    result.rows_quarantined += quarantined
                    outcomes.append(stored)
                if pending:  # the new records' own daily rollup rows, summed over the group
                    adding = time.perf_counter()
                    rollups.add_contributions(conn, rollups.merge_contributions(pending))
                    _add(result.stages, {"deltas": time.perf_counter() - adding})
                if time.monotonic() - last_rollup > rollup_interval:
                    took = commit_rollups(conn)
                    last_rollup = time.monotonic()
                    rollup_interval = max(rollup_interval * (2 if since is None else 1), ROLLUP_SPACING * took)
                conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id).values(
                    progress=group[-1].progress, rows_read=result.rows_read, rows_stored=result.rows_stored,
                    rows_quarantined=result.rows_quarantined))
            _add(result.stages, {"write": time.perf_counter() - writing - (_rollup_seconds(result.stages) - rolled)})
            for batch, stored in zip(group, outcomes):
                if batch.on_committed is not None:
                    batch.on_committed(stored, batch.rejected)
            if progress:
                progress(group[-1].progress, f"{result.rows_read:,} rows")
            collect()

        with engine.connect() as conn, _write_pragmas(conn), _collect_between_writes(in_child) as collect:
            group: list[PreparedBatch] = []
            repeats: list[PreparedBatch] = []  # Batch.may_repeat: written last, after the parts' own copies
            group_started = time.monotonic()
            while True:
                try:
                    batch = next(batches, None)
                except Exception:
                    if group:  # what was read before the fault is kept
                        write(conn, group)
                    raise
                if batch is None:
                    break
                _add(result.stages, batch.stages or {})
                if batch.may_repeat:
                    repeats.append(batch)
                    continue
                if group and batch.prepared.kind is not group[0].prepared.kind:
                    write(conn, group)
                    group = []
                group.append(batch)
                if len(group) == 1:
                    group_started = time.monotonic()
                # A batch the next one followed within WRITE_SECONDS joins the same transaction (prepared
                # here, the next one is not known yet: the group is kept while it is younger than that).
                followed = batch.followed if in_child else time.monotonic() - group_started < WRITE_SECONDS
                if not followed or sum(b.read for b in group) >= WRITE_ROWS:
                    write(conn, group)
                    group = []
            if group:
                write(conn, group)
            loaded = [writes.UPSERTS[kind].table.name for kind, rows in inserted_as_new.items()
                      if rows >= ANALYZE_AFTER_ROWS]
            if loaded and not sqlite:
                with conn.begin():
                    conn.exec_driver_sql(f"ANALYZE {', '.join(loaded)}")
            for kind in dict.fromkeys(b.prepared.kind for b in repeats):  # one batch a record kind, in order
                write(conn, [_together([b for b in repeats if b.prepared.kind is kind])])
        with engine.begin() as conn:
            commit_rollups(conn)
            finished = now()
            conn.execute(update(source_states).where(source_states.c.source == source.name).values(
                watermark=until, last_success_at=finished, last_error=None))
            conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id).values(
                status="ok", finished_at=finished, progress=1.0))
        result.status = "ok"
    except Exception as exc:  # a source's fault is recorded and shown as stale, never crashes the scheduler
        log.exception("pull of %s failed", source.name)
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        with engine.begin() as conn:
            conn.execute(update(source_states).where(source_states.c.source == source.name).values(
                last_error=result.error))
            conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id).values(
                status="failed", finished_at=now(), error=result.error))
        if dossier_days or ticket_days:  # what did commit must show on the dashboard too
            try:
                with engine.begin() as conn:
                    commit_rollups(conn)
            except Exception:  # noqa: BLE001 — the next pull refreshes these days again
                log.exception("rollups after the failed pull of %s", source.name)
    result.seconds = time.monotonic() - started
    return result


def mark_interrupted(engine: Engine) -> int:
    """Runs left 'running' by a process that died: failed, so no page shows them as under way."""
    with engine.begin() as conn:
        return conn.execute(update(ingest_runs).where(ingest_runs.c.status == "running").values(
            status="failed", finished_at=now(), error="interrupted: the scheduler stopped during this pull")).rowcount
