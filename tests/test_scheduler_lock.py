"""One scheduler per store: two real `cli.py worker` processes on the same store, one pulls, the other
stands by and takes over when the first is killed (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from config import ROOT
from metrics.time import local_day, now
from store.db import engine_for
from store.lock import lock_for
from store.schema import ingest_runs

TICK_SECONDS = 2
TAKEN = "scheduler lock taken"
PULLED = "pulled demo:"


def test_a_second_lock_on_the_same_store_waits_for_the_first(db_url):
    first, second = lock_for(db_url), lock_for(db_url)
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire() and not second.held()
        first.release()
        assert not first.held()
        assert second.try_acquire() and second.held()
    finally:
        first.release()
        second.release()


def _sources_file(tmp_path) -> str:
    start = (local_day(now()) - timedelta(days=2)).isoformat()
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - name: demo\n    kind: demo\n    every: {TICK_SECONDS}s\n"
                    f"    scale: 0.01\n    start: '{start}'\n", encoding="utf-8")
    return str(path)


class Worker:
    def __init__(self, db_url: str, sources: str, log_path):
        self.log_path = log_path
        env = {**os.environ, "DATABASE_URL": db_url, "IOC_SOURCES": sources, "IOC_LOCK_POLL_SECONDS": "0.5"}
        env.pop("REDIS_URL", None)
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _runs(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(ingest_runs).order_by(ingest_runs.c.id)).all()


def _wait_for(condition, what: str, limit: float = 120.0):
    """Poll until `condition()` is truthy; the limit only keeps a broken build from hanging the suite."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _one_at_a_time(runs) -> None:
    """One pull per tick: no run starts before the previous one finished (two schedulers would overlap)."""
    for before, after in zip(runs, runs[1:]):
        assert before.finished_at is not None, f"run {before.id} never finished"
        assert after.started_at >= before.finished_at, f"runs {before.id} and {after.id} overlap"


def test_two_workers_pull_once_per_tick_and_the_standby_takes_over(db_url, tmp_path):
    engine = engine_for(db_url)
    sources = _sources_file(tmp_path)
    workers = [Worker(db_url, sources, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        holder = _wait_for(lambda: [w for w in workers if TAKEN in w.log()], "a worker to take the lock")
        assert len(holder) == 1, "both workers took the lock"
        holder = holder[0]
        standby = workers[1 - workers.index(holder)]
        _wait_for(lambda: len([r for r in _runs(engine) if r.status == "ok"]) >= 4, "four pulls")
        _wait_for(lambda: "standing by" in standby.log(), "the standby to say it waits")

        # Every run so far is the holder's, one at a time; the standby pulled nothing. (Its log is read before
        # the kill: on PostgreSQL the lock is free the moment the killed holder's connection closes.)
        standby_before = standby.log()
        holder.process.send_signal(signal.SIGKILL)
        holder.process.wait()
        killed_at = now()
        before = _runs(engine)
        holder_pulls = holder.log().count(PULLED)
        assert standby_before.count(PULLED) == 0 and TAKEN not in standby_before
        finished = [r for r in before if r.status != "running"]
        assert len(finished) == holder_pulls
        _one_at_a_time(finished)

        # The standby takes over: the killed holder's pull (if one was under way) is marked interrupted,
        # then it pulls on the same schedule, one at a time.
        _wait_for(lambda: TAKEN in standby.log(), "the standby to take the lock")
        _wait_for(lambda: len([r for r in _runs(engine) if r.started_at >= killed_at and r.status == "ok"]) >= 3,
                  "three pulls by the standby")
        after = _runs(engine)
        assert not [r for r in after if r.id <= before[-1].id and r.status == "running"]
        taken_over = [r for r in after if r.id > before[-1].id and r.status != "running"]
        _one_at_a_time(taken_over)
        assert standby.log().count(PULLED) == len(taken_over)
        assert len({r.id for r in after}) == len(after)
    finally:
        for w in workers:
            w.stop()
    assert workers[0].process.returncode is not None and workers[1].process.returncode is not None
