"""Read-only JSON API, version 1: the KPI frame of a scope and period, the snapshots and their files.

Every route lives in this one blueprint, so accounts (issue 7) guard the whole API with a single
`blueprint.before_request` hook. Errors are JSON: 400 for a bad scope, date, id or format, 403 for a scope
outside the asker's, 404 for an unknown snapshot (or one of another scope).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import Engine

from exports import UnknownFormat, exporter
from metrics.frame import kpi_frame_json
from metrics.time import local_day, now
from snapshots import store
from snapshots.scope import OutsideScope, ScopeError, check_id, parse_period, parse_scope

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
DOWNLOADS = ("csv", "xlsx", "pdf", "png", "json")


def _engine() -> Engine:
    return current_app.config["IOC_ENGINE"]


def _error(status: int, message: str):
    return jsonify(error=message, status=status), status


@blueprint.errorhandler(ScopeError)
@blueprint.errorhandler(UnknownFormat)
def _bad_request(exc):
    return _error(400, str(exc))


@blueprint.errorhandler(OutsideScope)
def _forbidden(exc):
    return _error(403, str(exc))


@blueprint.errorhandler(store.SnapshotNotFound)
def _not_found(exc):
    return _error(404, f"no snapshot {exc.args[0]!r}")


@blueprint.get("/kpis")
def kpis():
    """/api/v1/kpis?scope=city|commune:CODE|department:CODE&from=YYYY-MM-DD&to=YYYY-MM-DD (default: last 30 days)."""
    engine = _engine()
    scope = parse_scope(engine, request.args.get("scope"))
    end = request.args.get("to") or local_day(now()).isoformat()
    start = request.args.get("from") or (parse_period(end, end)[1] - timedelta(days=29)).isoformat()
    first, last = parse_period(start, end)
    body = kpi_frame_json(engine, scope.unit, first, last)
    return jsonify({**body, "scope": scope.key, "scope_name_vi": scope.name_vi, "scope_name_en": scope.name_en})


@blueprint.get("/snapshots")
def snapshots():
    limit = request.args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise ScopeError("limit must be a whole number from 1 to 1000")
    scope = parse_scope(_engine(), request.args["scope"]) if request.args.get("scope") else None
    rows = []
    for s in store.listing(_engine(), limit=int(limit), scope=scope):
        rows.append({**s.as_json(), "files": {f: f"{request.script_root}/api/v1/snapshots/{s.id}.{f}"
                                               for f in DOWNLOADS}})
    return jsonify(snapshots=rows)


@blueprint.get("/snapshots/<string:name>")
def snapshot_file(name: str):
    """/api/v1/snapshots/<id>.<csv|xlsx|pdf|png|json>: the stored bytes (rendered once, then the same)."""
    snapshot_id, dot, fmt = name.rpartition(".")
    if not dot:
        snapshot_id, fmt = name, ""
    check_id(snapshot_id)
    if fmt not in DOWNLOADS:
        raise UnknownFormat(f"unknown format {fmt!r}: one of {', '.join(DOWNLOADS)}")
    content, digest = store.file(_engine(), snapshot_id, fmt)
    info = store.get(_engine(), snapshot_id)
    response = Response(content, mimetype=exporter(fmt).media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name(info, fmt)}"'
    response.headers["ETag"] = f'"{digest}"'
    response.headers["X-Snapshot-Data-Version"] = str(info.data_version)
    return response


@blueprint.get("/<path:rest>")
def unknown(rest: str):
    """Anything else under /api/v1 (a path with slashes in an id included): a JSON 404, never a file."""
    return _error(404, "no such API resource")


def download_name(info: store.SnapshotInfo, fmt: str) -> str:
    """ioc_<scope>_<from>_<to>_<id>.<fmt>: only characters already checked (scope codes, dates, the id)."""
    scope = info.scope_kind if info.scope_kind == "city" else f"{info.scope_kind}-{info.scope_code}"
    return f"ioc_{scope}_{info.period_start:%Y%m%d}_{info.period_end:%Y%m%d}_{info.id}.{fmt}"


def register(server, engine: Engine) -> None:
    server.config["IOC_ENGINE"] = engine
    server.register_blueprint(blueprint)
