"""The scheduler: each configured source pulled on its own interval, in a process of its own.

`python cli.py worker` runs it blocking; `make run` runs that worker beside the web server. Web
workers never pull (ARCHITECTURE.md): a page refresh never reaches an upstream system.

Only the worker holding the store's scheduler lock (store/lock.py) pulls: a second worker, started by
mistake or as a standby on another host, waits and takes over when the holder dies. Pulls are idempotent
anyway (records upserted by source and id, newer versions only; the watermark moves after a whole pull).
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config import TIMEZONE, Settings
from ingest import pipeline
from ingest.sources import SourceConfig, load_sources
from metrics.time import TZ
from snapshots.schedule import register as register_snapshots
from store.db import engine_for
from store.lock import lock_for

log = logging.getLogger(__name__)


def _job(database_url: str, source: SourceConfig) -> None:
    result = pipeline.pull(engine_for(database_url), source)
    log.info("pulled %s: %s, %d read, %d stored, %d quarantined in %.1fs", result.source, result.status,
             result.rows_read, result.rows_stored, result.rows_quarantined, result.seconds)


def build_scheduler(settings: Settings, blocking: bool = True, first_run_in: timedelta = timedelta(seconds=1)):
    sources = load_sources(settings.sources_file)
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone=TIMEZONE,
        # A pull that missed its slot (machine asleep, long backfill) runs once, not once per missed slot.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for source in sources:
        scheduler.add_job(_job, IntervalTrigger(seconds=source.every.total_seconds(), timezone=TIMEZONE),
                          args=(settings.database_url, source), id=f"pull:{source.name}", name=source.name,
                          next_run_time=datetime.now(TZ) + first_run_in)
    register_snapshots(scheduler, settings.database_url)  # snapshots.yaml (IOC_SNAPSHOTS): reports on a schedule
    return scheduler


def run_exclusive(settings: Settings, stop: threading.Event | None = None) -> int:
    """Wait for the store's scheduler lock, then run the scheduler until `stop` is set (0) or the lock is
    lost (1: the supervisor restarts the worker, which then stands by like any other)."""
    stop = stop or threading.Event()
    lock = lock_for(settings.database_url)
    if not lock.wait(settings.lock_poll_seconds, stop):
        return 0
    try:
        log.info("scheduler lock taken (pid %d)", os.getpid())
        # Runs left 'running' were the previous holder's: only the holder may say they died.
        interrupted = pipeline.mark_interrupted(engine_for(settings.database_url))
        if interrupted:
            log.info("%d pull(s) of the previous scheduler marked interrupted", interrupted)
        scheduler = build_scheduler(settings, blocking=False)
        scheduler.start()
        log.info("scheduler started: %s", ", ".join(j.name for j in scheduler.get_jobs()))
        lost = False
        while not stop.wait(settings.lock_poll_seconds):
            if not lock.held():
                log.error("scheduler lock lost: stopping so that only one scheduler pulls")
                lost = True
                break
        # A pull under way is not waited for: the caller exits, its transaction rolls back, and the next
        # holder marks the run interrupted (a history load can take minutes; a stop must not).
        scheduler.shutdown(wait=False)
        return 1 if lost else 0
    finally:
        lock.release()
