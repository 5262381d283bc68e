"""The sources page (`/sources`): each configured source's freshness and counts, and a sample of the
rows its pulls quarantined with the reasons. Pure functions of what the callback read."""
from __future__ import annotations

import json
from datetime import datetime

from dash import html

from layouts.i18n import number
from metrics.time import TZ, duration_text

PATH = "/sources"
SOURCES_TABLE = "sources-table"
QUARANTINE_TABLE = "quarantine-sample"
RAW_PREVIEW_CHARS = 300

LABELS = {
    "nav": ("Nguồn dữ liệu", "Data sources"),
    "title": ("Nguồn dữ liệu", "Data sources"),
    "source": ("Nguồn", "Source"),
    "kind": ("Loại", "Kind"),
    "every": ("Chu kỳ", "Every"),
    "last_run": ("Lần chạy gần nhất", "Last run"),
    "last_success": ("Lần thành công gần nhất", "Last success"),
    "lag": ("Độ trễ", "Lag"),
    "stored": ("Bản ghi đã lưu", "Rows stored"),
    "quarantined": ("Bản ghi cách ly", "Rows quarantined"),
    "unassigned": ("Phản ánh ngoài địa bàn", "Tickets outside the city"),
    "next_run": ("Lần chạy kế tiếp", "Next run"),
    "stale": ("chậm cập nhật", "stale"),
    "ok": ("thành công", "ok"),
    "failed": ("lỗi", "failed"),
    "running": ("đang chạy", "running"),
    "never": ("chưa chạy", "never"),
    "error": ("Lỗi gần nhất", "Last error"),
    "sample": ("Mẫu bản ghi bị cách ly (mới nhất)", "Sample of quarantined rows (newest)"),
    "reason": ("Lý do", "Reason"),
    "raw": ("Dữ liệu gốc", "Raw payload"),
    "record_kind": ("Loại bản ghi", "Record kind"),
    "at": ("Thời điểm", "At"),
    "none_quarantined": ("Không có bản ghi nào bị cách ly.", "No row has been quarantined."),
    "stale_note": ("Trang tổng quan vẫn hiển thị dữ liệu tốt gần nhất của nguồn chậm cập nhật.",
                   "The dashboard keeps showing the last good data of a stale source."),
}


def label(key: str, lang: str) -> str:
    vi, en = LABELS[key]
    return en if lang == "en" else vi


def _time(text: str | None) -> str:
    return datetime.fromisoformat(text).astimezone(TZ).strftime("%H:%M:%S %d/%m/%Y") if text else "–"


def _count(value, lang: str) -> str:
    return "–" if value is None else number(value, lang)


def sources_table(statuses: list[dict], lang: str):
    heads = ("source", "kind", "every", "last_run", "last_success", "lag", "stored", "quarantined", "unassigned",
             "next_run")
    body = []
    for s in statuses:
        run = s["last_run"]
        run_text = label(run["status"], lang) if run and run["status"] in ("ok", "failed", "running") else \
            (run["status"] if run else label("never", lang))
        cells = [
            html.Td([s["name"], *([html.Span(f" ⚠ {label('stale', lang)}", className="badge badge-stale")]
                                  if s["stale"] else [])]),
            html.Td(s["kind"]), html.Td(duration_text(s["every_seconds"], " ")),
            html.Td(run_text, title=(run or {}).get("error") or ""),
            html.Td(_time(s["last_success_at"])), html.Td(duration_text(s["lag_seconds"], " ")),
            html.Td(_count(s["rows_stored"], lang), className="num"),
            html.Td(_count(s["rows_quarantined"], lang), className="num"),
            html.Td(_count(s["unassigned_tickets"], lang), className="num"),
            html.Td(_time(s["next_run_at"])),
        ]
        body.append(html.Tr(cells, className="stale" if s["stale"] else None, **{"data-source": s["name"]}))
        if s["last_error"]:
            body.append(html.Tr(html.Td(f"{label('error', lang)}: {s['last_error']}", colSpan=len(heads),
                                        className="source-error")))
    return html.Table([html.Thead(html.Tr([html.Th(label(h, lang)) for h in heads])), html.Tbody(body)],
                      id=SOURCES_TABLE, className="data-table")


def _preview(raw: str) -> str:
    try:
        raw = json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        pass
    return raw if len(raw) <= RAW_PREVIEW_CHARS else raw[:RAW_PREVIEW_CHARS] + "…"


def quarantine_table(sample: list[dict], lang: str):
    if not sample:
        return html.P(label("none_quarantined", lang), id=QUARANTINE_TABLE)
    heads = ("at", "source", "record_kind", "reason", "raw")
    rows = [html.Tr([html.Td(_time(q["quarantined_at"])), html.Td(q["source"]), html.Td(q["record_kind"]),
                     html.Td(q["reason"], className="reason"), html.Td(html.Code(_preview(q["raw"])))])
            for q in sample]
    return html.Table([html.Thead(html.Tr([html.Th(label(h, lang)) for h in heads])), html.Tbody(rows)],
                      id=QUARANTINE_TABLE, className="data-table")


def layout(lang: str, statuses: list[dict], sample: list[dict]):
    return html.Div([
        html.H1(label("title", lang)),
        sources_table(statuses, lang),
        html.P(label("stale_note", lang), className="note"),
        html.H2(label("sample", lang)),
        quarantine_table(sample, lang),
    ], className="sources-page")
