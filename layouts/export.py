"""The export control any page can include: a format picker, a button, a progress line and the download.

It exports what is on screen: the callback (callbacks/export.py) reads the page, period and KPI from the
URL, freezes them as a snapshot and sends that snapshot's file.
"""
from __future__ import annotations

from dash import dcc, html

FORMATS = ("xlsx", "pdf", "csv", "png", "json")


class ids:
    FORMAT = "export-format"
    BUTTON = "export-button"
    RUNNING = "export-running"
    STATUS = "export-status"
    DOWNLOAD = "export-download"


LABELS = {
    "format": ("Xuất dữ liệu", "Export"),
    "button": ("Tải xuống", "Download"),
    "running": ("Đang lập báo cáo…", "Preparing the file…"),
    "done": ("Đã xuất, mã ảnh chụp số liệu", "Exported, snapshot id"),
    "all": ("Danh sách ảnh chụp số liệu", "All snapshots"),
    "failed": ("Không xuất được", "Export failed"),
    "xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
    "pdf": ("Báo cáo PDF", "PDF report"),
    "csv": ("CSV", "CSV"),
    "png": ("Ảnh bản đồ (PNG)", "Map image (PNG)"),
    "json": ("JSON", "JSON"),
}


def label(key: str, lang: str) -> str:
    vi, en = LABELS[key]
    return en if lang == "en" else vi


def control(lang: str):
    return html.Div([
        html.Label(label("format", lang), htmlFor=ids.FORMAT),
        html.Div([
            dcc.Dropdown(id=ids.FORMAT, options=[{"label": label(f, lang), "value": f} for f in FORMATS],
                         value=FORMATS[0], clearable=False, searchable=False, className="picker export-picker"),
            html.Button(label("button", lang), id=ids.BUTTON, n_clicks=0, className="export-button"),
        ], className="export-row"),
        html.Span(label("running", lang), id=ids.RUNNING, className="export-running", role="status",
                  style={"display": "none"}),
        html.Div(id=ids.STATUS, className="export-status", role="status"),
        dcc.Download(id=ids.DOWNLOAD),
    ], className="control export-control")


def done(lang: str, snapshot_id: str, snapshots_href: str):
    return [f"{label('done', lang)} {snapshot_id} · ", dcc.Link(label("all", lang), href=snapshots_href)]
