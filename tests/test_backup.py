"""Back up, wipe, restore: the same KPI numbers, on SQLite and PostgreSQL, through the command line."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from config import ROOT
from ingest import pipeline
from metrics import frame
from metrics.time import local_day, now
from store.backup import BackupError, restore
from store.db import engine_for
from store.lock import lock_for
from store.schema import dossiers, tickets
from tests.conftest import demo_source
from tests.records import dossier, given


def _cli(db_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _wipe(db_url: str) -> None:
    engine = engine_for(db_url)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        database = Path(make_url(db_url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    else:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def _counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (dossiers, tickets))


def test_backup_wipe_restore_same_kpis(db_url, tmp_path):
    engine = engine_for(db_url)
    today = local_day(now())
    source = demo_source(scale=0.01, start=(today - timedelta(days=6)).isoformat())
    assert pipeline.pull(engine, source).status == "ok"
    start, end = today - timedelta(days=6), today
    measures, kpis = frame.compute(engine, start, end)
    served = frame.kpi_frame(engine, start, end)
    counts = _counts(engine)
    assert counts[0] > 0 and kpis.loc["city", "dossiers_received"] > 0

    backup = tmp_path / "backups" / "ioc.backup"
    assert "backup written" in _cli(db_url, "backup", str(backup))
    assert backup.stat().st_size > 0
    _wipe(db_url)
    with pytest.raises(Exception):
        _counts(engine_for(db_url))
    assert "store restored" in _cli(db_url, "restore", "--yes", str(backup))

    engine = engine_for(db_url)
    assert _counts(engine) == counts
    measures_again, kpis_again = frame.compute(engine, start, end)
    pd.testing.assert_frame_equal(measures, measures_again, check_exact=True)
    pd.testing.assert_frame_equal(kpis, kpis_again, check_exact=True)
    pd.testing.assert_frame_equal(served, frame.kpi_frame(engine, start, end), check_exact=True)
    # The restored store pulls on from its watermark like before.
    assert pipeline.pull(engine, source).status == "ok"


def test_restore_over_a_live_store_refuses_while_a_scheduler_runs(db_url, tmp_path):
    backup = tmp_path / "copy.backup"
    _cli(db_url, "backup", str(backup))  # an empty store
    pipeline.pull(engine_for(db_url), given([("dossier", [dossier("D1"), dossier("D2")])]))
    assert _counts(engine_for(db_url)) == (2, 0)
    scheduler = lock_for(db_url)
    assert scheduler.try_acquire()
    try:
        with pytest.raises(BackupError, match="scheduler is running"):
            restore(db_url, backup)
    finally:
        scheduler.release()
    before = frame.data_version(engine_for(db_url))
    assert restore(db_url, backup) > before  # past every version served before: no cache hands out old frames
    assert _counts(engine_for(db_url)) == (0, 0)


def test_restore_rejects_a_file_that_is_no_backup(sqlite_url, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"")
    with pytest.raises(BackupError):
        restore(sqlite_url, junk)
