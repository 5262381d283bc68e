"""The scheduler: each configured source pulled on its own interval, in a process of its own.

`python cli.py worker` runs it blocking; `make run` runs that worker beside the web server. Web
workers never pull (ARCHITECTURE.md): a page refresh never reaches an upstream system.
"""
from __future__ import annotations

import logging
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
