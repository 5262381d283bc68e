"""The command line: `python cli.py --help`."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import click

from config import ROOT, Settings


def _settings() -> Settings:
    return Settings.from_env()


def _engine():
    from store.db import engine_for

    return engine_for(_settings().database_url)


@click.group()
def cli():
    """HCMC Intelligent Operations Centre."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Apply the migrations (creates the SQLite file under var/ by default)."""
    from store.migrate import upgrade

    upgrade(_settings().database_url)
    click.echo("database at the newest revision")


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def db_backup(path):
    """Back up the store to PATH while the dashboard runs (PostgreSQL: pg_dump -Fc; SQLite: a database copy)."""
    from store.backup import BackupError, backup

    try:
        written = backup(_settings().database_url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {written} ({written.stat().st_size:,} bytes)")


@db.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the store's contents.")
def db_restore(path, yes):
    """Replace the store's contents with the backup at PATH (stop the scheduler first)."""
    from store.backup import BackupError, restore

    if not yes:
        click.confirm(f"Replace everything in the store with {path}?", abort=True)
    try:
        version = restore(_settings().database_url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"store restored from {path} (data version {version})")


def _run_with_progress(source, until=None, label: str = "", replay_from=None) -> "object":
    from tqdm import tqdm

    from ingest import pipeline

    with tqdm(total=100, unit="%", desc=label or source.name, bar_format="{desc}: {percentage:3.0f}%|{bar}| "
              "{elapsed}<{remaining} {postfix}") as bar:
        def progress(fraction: float, note: str):
            bar.n = round(fraction * 100, 1)
            bar.set_postfix_str(note, refresh=False)
            bar.refresh()

        result = pipeline.pull(_engine(), source, until=until, progress=progress, replay_from=replay_from)
    return result


def _report(result) -> None:
    click.echo(f"{result.source}: {result.status} — {result.rows_read:,} read, {result.rows_stored:,} stored, "
               f"{result.rows_quarantined:,} quarantined in {result.seconds:.1f}s")
    if result.error:
        click.echo(f"error: {result.error}", err=True)


@cli.command()
@click.option("--source", "name", required=True, help="Name of a configured source.")
@click.option("--once", is_flag=True, required=True, help="Pull once now and exit.")
@click.option("--from", "replay_from", default=None,
              help="Re-read from this time (ISO, e.g. 2025-09-01T00:00+07:00) instead of the watermark: "
                   "after fixing a source's mapping, its quarantined rows come again.")
def ingest(name, once, replay_from):
    """Pull one source now (new and changed records since its watermark)."""
    from datetime import datetime

    from ingest.sources import load_sources

    sources = {s.name: s for s in load_sources(_settings().sources_file)}
    if name not in sources:
        raise click.BadParameter(f"no source {name!r}; configured: {', '.join(sources)}", param_hint="--source")
    if replay_from is not None:
        try:
            replay_from = datetime.fromisoformat(replay_from)
        except ValueError:
            raise click.BadParameter(f"{replay_from!r} is not an ISO time", param_hint="--from") from None
        if replay_from.tzinfo is None:
            raise click.BadParameter("give the time's zone, e.g. 2025-09-01T00:00+07:00", param_hint="--from")
    result = _run_with_progress(sources[name], replay_from=replay_from)
    _report(result)
    sys.exit(0 if result.status == "ok" else 1)


@cli.group()
def demo():
    """The demo feed (calibrated, deterministic, labelled as demo data everywhere)."""


@demo.command("seed")
@click.option("--days", type=int, default=None, help="Only the last N days (default: since 1 July 2025).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo source has been pulled before.")
def demo_seed(days, if_empty):
    """Backfill the demo history through the demo connector, with a progress bar."""
    from sqlalchemy import select

    from ingest.sources import load_sources
    from metrics.time import local_day, now
    from store.schema import source_states

    demo_sources = [s for s in load_sources(_settings().sources_file) if s.kind == "demo"]
    if not demo_sources:
        raise click.ClickException("no source of kind 'demo' is configured (IOC_SOURCES)")
    with _engine().connect() as conn:
        seeded = {r[0] for r in conn.execute(select(source_states.c.source).where(
            source_states.c.watermark.is_not(None)))}
    for source in demo_sources:
        if if_empty and source.name in seeded:
            click.echo(f"{source.name}: already seeded, nothing to do")
            continue
        if days:
            source = replace(source, options={**source.options,
                                              "start": (local_day(now()) - timedelta(days=days)).isoformat()})
        result = _run_with_progress(source, label=f"seeding {source.name}")
        _report(result)
        if result.status != "ok":
            sys.exit(1)


@demo.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (local only by default).")
@click.option("--port", type=int, default=8070, show_default=True)
@click.option("--scale", type=float, default=1.0, show_default=True, help="Volume multiplier (1.0 = calibrated).")
@click.option("--seed", type=int, default=20250701, show_default=True)
@click.option("--as-of", "as_of", default=None, help="Fix the feed's clock (ISO time with zone); default: now.")
@click.option("--token-env", default=None, help="Require a bearer token, read from this environment variable.")
def demo_serve(host, port, scale, seed, as_of, token_env):
    """The demo feed as an HTTP server speaking the dossier_api, open311 and document_counts protocols."""
    from datetime import datetime

    from ingest.demo.server import DemoFeed, make_server

    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise click.BadParameter(f"environment variable {token_env} is not set", param_hint="--token-env")
    clock = datetime.fromisoformat(as_of) if as_of else None
    if clock is not None and clock.tzinfo is None:
        raise click.BadParameter("give the time's zone, e.g. 2025-09-01T00:00+07:00", param_hint="--as-of")
    server = make_server(DemoFeed(scale=scale, seed=seed, as_of=clock, token=token), host, port)
    base = f"http://{host}:{server.server_address[1]}"
    auth = f"\n    auth: {{type: bearer, token_env: {token_env}}}" if token_env else ""
    click.echo(f"demo feed on {base} — an IOC_SOURCES file for it:\n"
               f"sources:\n"
               f"  - name: portal\n    kind: dossier_api\n    every: 1m\n    url: {base}/portal/dossiers{auth}\n"
               f"  - name: hotline\n    kind: open311\n    every: 1m\n    url: {base}/open311/v2{auth}\n"
               f"  - name: documents\n    kind: document_counts\n    every: 1h\n    url: {base}/documents{auth}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sources(as_json):
    """Each source: last run, last success, lag, rows stored, rows quarantined, unassigned tickets, next run."""
    from ingest.sources import load_sources
    from metrics.time import duration_text
    from store.status import source_status

    rows = source_status(_engine(), load_sources(_settings().sources_file))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    header = ("source", "kind", "every", "last run", "last success", "lag", "stored", "quarantined", "unassigned",
              "next run", "")
    table = [header]
    for r in rows:
        run = r["last_run"] or {}
        table.append((r["name"], r["kind"], duration_text(r["every_seconds"]), run.get("status", "–"),
                      (r["last_success_at"] or "–")[:19], duration_text(r["lag_seconds"]), f"{r['rows_stored']:,}",
                      f"{r['rows_quarantined']:,}", f"{r['unassigned_tickets']:,}", (r["next_run_at"] or "–")[:19],
                      "STALE" if r["stale"] else ""))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(str(v).ljust(w) if i < 2 or i in (3, 4, 9, 10) else str(v).rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())
    for r in rows:
        if r["last_error"]:
            click.echo(f"{r['name']}: last error: {r['last_error']}", err=True)


@cli.command()
@click.option("--scope", default="city", show_default=True, help="'city' or a commune / department code.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (default: 29 days before --to).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--catalogue-markdown", is_flag=True,
              help="Print the KPI catalogue, targets registry and Decision 766 weights as Markdown (docs/kpis.md).")
def kpis(scope, start, end, as_json, catalogue_markdown):
    """The KPI frame of one scope over a period: what the map, tiles, exports and API show."""
    if catalogue_markdown:
        from metrics.docs import catalogue_markdown as render

        click.echo(render(), nl=False)
        return
    from metrics.frame import kpi_frame_json
    from metrics.time import local_day, now

    end = end.date() if end else local_day(now())
    start = start.date() if start else end - timedelta(days=29)
    if start > end:
        raise click.BadParameter(f"--from {start} is after --to {end}", param_hint="--from")
    try:
        printed = kpi_frame_json(_engine(), scope, start, end)
    except KeyError:
        raise click.BadParameter(f"no unit {scope!r} in the store", param_hint="--scope") from None
    if as_json:
        click.echo(json.dumps(printed, indent=2, ensure_ascii=False))
        return
    click.echo(f"{scope}: {start} → {end} (data version {printed['data_version']})")
    for kpi_id, k in printed["kpis"].items():
        value = "no data" if k["value"] is None else f"{k['value']:,.2f}"
        click.echo(f"  {kpi_id:<36} {value:>14} {k['unit']}")


@cli.command()
def worker():
    """Run the scheduler (pulls every configured source on its interval). Started twice, one pulls and the
    other stands by, taking over when the first dies (a lock in the store)."""
    import threading

    from ingest.scheduler import run_exclusive

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    code = run_exclusive(_settings(), stop)
    logging.shutdown()
    os._exit(code)  # without waiting for a pull under way (see run_exclusive)


@cli.group()
def assets():
    """The framework's bundles and the app's assets, for a reverse proxy to serve."""


@assets.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def assets_export(folder):
    """Write the JavaScript bundles and assets, each with a .gz beside it, to FOLDER (README "Production")."""
    from app import app
    from ops.bundles import export

    written = export(app, folder)
    click.echo(f"{len(written)} files, {sum(written.values()) / 2**20:.1f} MiB (plus .gz copies) in {folder}")


def _watch_first_pulls(web: subprocess.Popen, grace_seconds: float = 20.0) -> None:
    """A progress bar in the terminal while the scheduler loads a source's history for the first time
    (an empty store: the demo's 17 months take minutes; the page shows the same progress meanwhile)."""
    import time

    from sqlalchemy import select
    from tqdm import tqdm

    from store.schema import ingest_runs

    engine, started, bar = _engine(), time.monotonic(), None
    while web.poll() is None:
        with engine.connect() as conn:
            run = conn.execute(select(ingest_runs).where(ingest_runs.c.window_from.is_(None))
                               .order_by(ingest_runs.c.id.desc()).limit(1)).first()
        if run is not None and run.status == "running":
            if bar is None:
                bar = tqdm(total=100, desc=f"loading history of {run.source}", unit="%",
                           bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}")
            bar.n = round(run.progress * 100, 1)
            bar.set_postfix_str(f"{run.rows_read:,} rows", refresh=False)
            bar.refresh()
        elif bar is not None or time.monotonic() - started > grace_seconds:
            if bar is not None:
                bar.n = 100
                bar.close()
                click.echo(f"history loaded: {run.source} {run.status}, {run.rows_read:,} rows")
            return
        time.sleep(1)


@cli.command()
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn workers.")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Also run the scheduler (as its own process) for the single-machine default.")
def serve(workers, scheduler):
    """Serve the dashboard on 127.0.0.1:$PORT (8050) with gunicorn, and the scheduler beside it."""
    settings = _settings()
    if not settings.production:  # the embedded mode: the person at the machine gets the first admin
        users_bootstrap.callback()
    children = []
    if scheduler:
        children.append(subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker"], cwd=ROOT))
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:server",
                            "--bind", f"127.0.0.1:{settings.port}",
                            "--workers", str(workers), "--threads", "4", "--timeout", "120",
                            "--no-control-socket"], cwd=ROOT)
    children.append(web)
    click.echo(f"dashboard: http://127.0.0.1:{settings.port}")
    if scheduler:
        _watch_first_pulls(web)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)


@cli.group()
def snapshot():
    """KPI snapshots: frozen, listed, exported again byte for byte (CSV, XLSX, PDF, PNG, JSON)."""


def _scope_and_period(engine, scope: str, start, end):
    from snapshots.scope import ScopeError, parse_period, parse_scope

    try:
        return parse_scope(engine, scope), *parse_period(start, end)
    except ScopeError as exc:
        raise click.BadParameter(str(exc)) from None


@snapshot.command("create")
@click.option("--scope", default="city", show_default=True, help="city, commune:CODE or department:CODE.")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--format", "formats", multiple=True, help="Render these now (csv, xlsx, pdf, png, json); "
              "any other is rendered on its first download.")
@click.option("--kpi", default=None, help="The KPI the map shows (default on_time_rate).")
def snapshot_create(scope, start, end, formats, kpi):
    """Freeze a scope's KPI frame over a period (with data and targets versions) and store it."""
    from tqdm import tqdm

    from exports import formats as known
    from exports.png import warm_up
    from snapshots import store

    engine = _engine()
    unknown = sorted(set(formats) - set(known()))
    if unknown:
        raise click.BadParameter(f"unknown format(s) {', '.join(unknown)}; one of {', '.join(known())}",
                                 param_hint="--format")
    scope, first, last = _scope_and_period(engine, scope, start, end)
    if {"pdf", "png"} & set(formats):
        warm_up()  # one browser for every image of this run
    with tqdm(total=1 + len(formats), desc=f"snapshot {scope.key}", unit="step") as bar:
        def progress(done, total, step):
            bar.n = done
            bar.set_postfix_str(step, refresh=False)
            bar.refresh()

        info = store.create(engine, scope, first, last, map_kpi=kpi, formats=tuple(formats), progress=progress)
    click.echo(json.dumps(info.as_json(), ensure_ascii=False))


@snapshot.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", type=int, default=50, show_default=True)
def snapshot_list(as_json, limit):
    """The newest snapshots first."""
    from snapshots import store

    rows = [s.as_json() for s in store.listing(_engine(), limit=limit)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['id']}  {r['created_at'][:19]}  {r['scope']:<28} {r['from']} → {r['to']}  "
                   f"data v{r['data_version']}{'  DEMO' if r['demo'] else ''}{'  ' + r['schedule'] if r['schedule'] else ''}")


@snapshot.command("export")
@click.argument("snapshot_id")
@click.option("--format", "fmt", required=True, help="csv, xlsx, pdf, png or json.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write ('-' for standard output).")
def snapshot_export(snapshot_id, fmt, out):
    """Write a snapshot's file: the stored bytes, or rendered from the frozen frame once and stored."""
    from exports import UnknownFormat
    from snapshots import store
    from snapshots.scope import ScopeError

    try:
        content, digest = store.file(_engine(), snapshot_id, fmt)
    except (ScopeError, UnknownFormat) as exc:
        raise click.BadParameter(str(exc)) from None
    except store.SnapshotNotFound:
        raise click.ClickException(f"no snapshot {snapshot_id!r}") from None
    if out == "-":
        sys.stdout.buffer.write(content)
    else:
        with open(out, "wb") as f:
            f.write(content)
        click.echo(f"{out}: {len(content):,} bytes, sha256 {digest}", err=True)
def _actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@cli.group()
def users():
    """Accounts of people (argon2 password hashes; roles and scopes: README "Accounts, roles and tokens")."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["leader", "department_head", "commune_officer", "staff",
                                                           "admin"]))
@click.option("--scope", default="", help="Unit codes (communes, departments) separated by spaces or commas; "
                                          "'*' for everything. Leader and admin always read everything.")
@click.option("--password", default=None, help="Default: a generated one, printed once.")
def users_add(username, role, scope, password):
    """Add a person."""
    from access import accounts, audit

    shown = password or accounts.new_password()
    try:
        accounts.add(_engine(), username, role, scope, shown)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(_engine(), _actor(), "user_added", username, {"role": role, "scope": scope})
    click.echo(f"{username} added as {role}" + ("" if password else f"; password (shown once): {shown}"))


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable again instead.")
def users_disable(username, enable):
    """Disable a person (their open sessions end at once) or, with --enable, enable them again."""
    from access import accounts, audit

    try:
        accounts.set_disabled(_engine(), username, not enable)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(_engine(), _actor(), "user_enabled" if enable else "user_disabled", username)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@users.command("reset")
@click.argument("username")
def users_reset(username):
    """A new generated password, printed once (their open sessions end)."""
    from access import accounts, audit

    password = accounts.new_password()
    try:
        accounts.reset_password(_engine(), username, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(_engine(), _actor(), "password_reset", username)
    click.echo(f"new password for {username} (shown once): {password}")


@users.command("list")
def users_list():
    """Every account: role, scope, disabled, last login."""
    from access import accounts

    for u in accounts.listing(_engine()):
        last = u["last_login_at"].isoformat(timespec="minutes") if u["last_login_at"] else "never"
        click.echo(f"{u['username']:<24} {u['role']:<16} {'DISABLED' if u['disabled'] else 'enabled ':<8} "
                   f"last login {last:<25} scope {u['scope']}")


@users.command("bootstrap")
def users_bootstrap():
    """The first admin of an empty store (the embedded mode's `serve` does this): password printed once."""
    from access import accounts, audit

    engine = _engine()
    if accounts.count(engine):
        click.echo("accounts exist: nothing to do")
        return
    password = accounts.new_password()
    accounts.add(engine, "admin", "admin", "*", password)
    audit.record(engine, _actor(), "user_added", "admin", {"role": "admin", "first": True})
    click.echo(f"first administrator: admin / {password}  (shown once; `python cli.py users reset admin` for a new one)")


@cli.group()
def tokens():
    """Display tokens (wall screens) and API tokens: shown once, stored hashed, scoped, revocable."""


@tokens.command("add")
@click.argument("kind", type=click.Choice(["display", "api"]))
@click.argument("name")
@click.option("--scope", required=True, help="Unit codes separated by spaces or commas, or '*' for everything.")
@click.option("--views", default="", help="Display tokens: path prefixes the screen may open (default /wall).")
@click.option("--expires", default=None, help="ISO time with zone when the token stops working (default: never).")
def tokens_add(kind, name, scope, views, expires):
    """Create a token; its secret is printed once (for a wall: the URL to open on the screen)."""
    from datetime import datetime

    from access import audit
    from access import tokens as access_tokens

    expires_at = datetime.fromisoformat(expires) if expires else None
    if expires_at is not None and expires_at.tzinfo is None:
        raise click.BadParameter("give the time's zone, e.g. 2027-01-01T00:00+07:00", param_hint="--expires")
    try:
        token_id, secret = access_tokens.create(_engine(), kind, name, scope, _actor(), views, expires_at)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(_engine(), _actor(), "token_created", str(token_id), {"kind": kind, "scope": scope})
    click.echo(f"token {token_id} ({kind}, {name}); secret (shown once): {secret}")
    if kind == "display":
        click.echo(f"wall URL: http://127.0.0.1:{_settings().port}/wall?token={secret}")
    else:
        click.echo("use: Authorization: Bearer <secret> on /api/v1/...")


@tokens.command("list")
def tokens_list():
    """Every token: kind, name, scope, views, expiry, revoked (never the secret)."""
    from access import tokens as access_tokens

    for t in access_tokens.listing(_engine()):
        state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "active"
        expiry = f"expires {t['expires_at']:%Y-%m-%d %H:%M}" if t["expires_at"] else "no expiry"
        click.echo(f"{t['id']:>4} {t['kind']:<8} {t['name']:<24} {state:<24} {expiry:<24} scope {t['scope']} "
                   f"{('views ' + t['views']) if t['views'] else ''}".rstrip())


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id):
    """Revoke a token: a wall showing it is refused on its next request."""
    from access import audit
    from access import tokens as access_tokens

    if not access_tokens.revoke(_engine(), token_id):
        raise click.ClickException(f"no active token {token_id}")
    audit.record(_engine(), _actor(), "token_revoked", str(token_id))
    click.echo(f"token {token_id} revoked")


@cli.group()
def audit():
    """The append-only audit log."""


@audit.command("list")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--action", default=None, help="Only this action (login, login_failed, export, token_used, ...).")
def audit_list(limit, action):
    """The newest entries first."""
    from access import audit as access_audit

    for e in access_audit.recent(_engine(), limit, action):
        click.echo(f"{e['at']:%Y-%m-%d %H:%M:%S} {e['action']:<14} {e['actor']:<28} {e['target']} {e['ip']} "
                   f"{e['detail'] if e['detail'] != '{}' else ''}".rstrip())


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    cli()
