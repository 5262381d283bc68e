"""The snapshots page (`/snapshots`): every stored snapshot, newest first, with its files to download.
A pure function of what the callback read."""
from __future__ import annotations

from datetime import date

from dash import html

from layouts.i18n import MESSAGES, day
from metrics.time import TZ

PATH = "/snapshots"
TABLE = "snapshots-table"
DOWNLOADS = ("pdf", "xlsx", "csv", "png", "json")

LABELS = {
    "title": ("Ảnh chụp số liệu", "Snapshots"),
    "intro": ("Mỗi ảnh chụp giữ nguyên số liệu của một phạm vi và một kỳ tại thời điểm lập, kèm phiên bản dữ "
              "liệu và bộ mục tiêu: tải lại bao nhiêu lần cũng là cùng một tệp. Lập ảnh chụp bằng nút «Tải "
              "xuống» trên trang tổng quan hoặc trang xã, phường, theo lịch (snapshots.yaml), hoặc "
              "python cli.py snapshot create.",
              "A snapshot keeps a scope's figures for a period as they were when it was made, with the data and "
              "targets versions: every download is the same file. Snapshots are made by the Download button on "
              "the overview and commune pages, on a schedule (snapshots.yaml), or by "
              "python cli.py snapshot create."),
    "id": ("Mã", "Id"),
    "scope": ("Phạm vi", "Scope"),
    "period": ("Kỳ", "Period"),
    "created": ("Lập lúc", "Made at"),
    "version": ("Phiên bản dữ liệu", "Data version"),
    "schedule": ("Lịch", "Schedule"),
    "files": ("Tệp", "Files"),
    "none": ("Chưa có ảnh chụp số liệu nào.", "No snapshot yet."),
    "demo": (MESSAGES["demo_banner"][0].split(" — ")[0], MESSAGES["demo_banner"][1].split(" — ")[0]),
}


def label(key: str, lang: str) -> str:
    vi, en = LABELS[key]
    return en if lang == "en" else vi


def layout(lang: str, rows: list[dict]):
    """`rows`: SnapshotInfo.as_json() dicts with a `scope_name`."""
    if not rows:
        table = html.P(label("none", lang), id=TABLE)
    else:
        heads = ("id", "scope", "period", "created", "version", "schedule", "files")
        body = [html.Tr([
            html.Td(html.Code(r["id"])),
            html.Td([r["scope_name"], *([html.Span(label("demo", lang), className="badge badge-demo")]
                                        if r["demo"] else [])]),
            html.Td(f"{day(date.fromisoformat(r['from']), lang)} → {day(date.fromisoformat(r['to']), lang)}"),
            html.Td(_time(r["created_at"])),
            html.Td(r["data_version"], className="num"),
            html.Td(r["schedule"] or "–"),
            html.Td([html.A(fmt.upper(), href=f"/api/v1/snapshots/{r['id']}.{fmt}", className="file-link",
                            download="") for fmt in DOWNLOADS]),
        ], **{"data-snapshot": r["id"]}) for r in rows]
        table = html.Table([html.Thead(html.Tr([html.Th(label(h, lang)) for h in heads])), html.Tbody(body)],
                           id=TABLE, className="data-table")
    return html.Div([html.H1(label("title", lang)), html.P(label("intro", lang), className="note"), table],
                    className="snapshots-page")


def _time(text: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(text).astimezone(TZ).strftime("%H:%M %d/%m/%Y")
