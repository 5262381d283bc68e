"""gunicorn settings for production (Procfile: `gunicorn -c gunicorn.conf.py app:server`).

Environment: PORT (8050), BIND_HOST (0.0.0.0), WEB_CONCURRENCY (workers), WEB_THREADS (4 per worker),
WEB_PRELOAD (1), FORWARDED_ALLOW_IPS (gunicorn's own: the proxy allowed to set X-Forwarded-*; 127.0.0.1),
PROMETHEUS_MULTIPROC_DIR (var/prometheus/<port>).
"""
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _workers() -> int:
    # Callbacks are CPU-bound Python (frames, figure JSON) with short database waits: a worker per core
    # plus one covers the waits; threads cover slow clients. On 2 cores bench/load.py measured 2, 3 and 5
    # workers at the same throughput; 3 had the lowest p95, 5 (gunicorn's 2 × cores + 1, a rule for I/O-bound
    # apps) the highest p95 and 2.5 × the memory of 2 (README "Production").
    return int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)


bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8050')}"
workers = _workers()
threads = int(os.environ.get("WEB_THREADS") or 4)
timeout = 120
graceful_timeout = 30
keepalive = 5  # behind nginx's upstream keepalive
# The app opens no connection at import (engines, pools and the Redis client are lazy), so loading it once
# in the master is safe: workers fork with the code and the commune geometry already in memory (shared
# copy-on-write) and start in milliseconds; a broken deploy fails in the master, before any worker.
preload_app = os.environ.get("WEB_PRELOAD", "1") not in ("0", "false", "no")
control_socket_disable = True  # no ~/.gunicorn socket on a read-only home

# Prometheus multiprocess mode: every worker writes its samples to files in one folder, a scrape of any
# worker reads them all. Set here, before the app is imported (prometheus_client picks its mode at import),
# and emptied at each start so counters of a previous run are not summed in.
_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / "prometheus" / os.environ.get("PORT", "8050"))))
shutil.rmtree(_metrics_dir, ignore_errors=True)
_metrics_dir.mkdir(parents=True, exist_ok=True)


def when_ready(server):
    # The preloaded app's objects (the geometry, the catalogue, Dash's registry) live as long as the process:
    # out of the collector's way, a full collection no longer walks them (a 100–150 ms pause every few dozen
    # page loads before; measured in bench/callbacks.py), and forked workers share their pages longer.
    import gc

    gc.freeze()


def post_fork(server, worker):
    # A preloaded app is forked: start each worker with an empty connection pool of its own.
    from config import Settings
    from metrics import warm
    from store.db import engine_for, serve_requests_one_core_each

    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    engine.dispose(close=False)
    serve_requests_one_core_each(engine)
    warm.start(settings.database_url)  # what was read lately, computed as new data lands


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
