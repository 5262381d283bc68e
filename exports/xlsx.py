"""XLSX (openpyxl): Vietnamese headers, number and percent formats, one sheet per table, a sheet of sources,
definitions and targets with their legal source. Demo data is marked in the first row of every sheet.

Values are the KPI layer's numbers as they are: percentages stay on the 0–100 scale the catalogue uses,
shown with a "%" number format, so a cell read back equals the dashboard's value.
"""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports import document as doc

FORMATS = {"count": "#,##0", "percent": '0.0" %"', "working_days": "0.0", "communes": "#,##0"}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
DEMO_FONT = Font(bold=True, color="6B2FA3")


def _title(ws, text: str, payload: dict) -> None:
    mark = f" — {doc.DEMO_MARK}" if payload["demo"] else ""
    ws.append([f"{text} · {doc.scope_name(payload)} · {doc.period_text(payload)} · "
               f"mã {payload['snapshot']['id']}{mark}"])
    ws["A1"].font = DEMO_FONT if payload["demo"] else Font(bold=True)


def _table(ws, headers, rows, widths=None) -> None:
    """Headers in row 2, data from row 3; the header row frozen."""
    ws.append(list(headers))
    for c in ws[2]:
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A3"
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _format_column(ws, column: int, unit: str, first_row: int = 3) -> None:
    for (c,) in ws.iter_rows(min_row=first_row, min_col=column, max_col=column):
        c.number_format = FORMATS[unit]


class XLSX:
    format = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def render(self, payload: dict) -> bytes:
        wb = Workbook()
        info = wb.active
        info.title = "Thông tin"
        _title(info, doc.TITLE, payload)
        _table(info, ("Mục", "Nội dung"), doc.provenance(payload), widths=(28, 90))

        ws = wb.create_sheet("Chỉ số")
        _title(ws, "Chỉ số", payload)
        _table(ws, doc.KPI_HEADERS, doc.kpi_table(payload), widths=(32, 48, 16, 16, 12, 50))
        for r, k in enumerate(payload["kpis"], start=3):
            ws.cell(r, 3).number_format = FORMATS[k["unit"]]

        for level, name in (("commune", "Xã, phường"), ("department", "Sở, ngành")):
            if not any(u["level"] == level for u in payload["units"]):
                continue
            ws = wb.create_sheet(name)
            _title(ws, name, payload)
            headers, rows = doc.unit_table(payload, level)
            _table(ws, headers, rows, widths=(10, 36, 12, *([16] * len(payload["kpis"]))))
            for j, k in enumerate(payload["kpis"], start=len(doc.UNIT_HEADERS) + 1):
                _format_column(ws, j, k["unit"])

        for key in doc.SERIES:
            if key not in payload.get("series", {}):
                continue
            name, headers, rows = doc.series_table(payload, key)
            ws = wb.create_sheet(name)
            _title(ws, name, payload)
            _table(ws, headers, rows, widths=(14, 40, 22, 22))
            for row in ws.iter_rows(min_row=3):
                for c in row:
                    c.number_format = "dd/mm/yyyy" if isinstance(c.value, date) else c.number_format
                    c.number_format = FORMATS["count"] if isinstance(c.value, int) else c.number_format

        ws = wb.create_sheet("Mục tiêu KH 02")
        _title(ws, "Mục tiêu (Kế hoạch 02-KH/BCĐTW và văn bản liên quan)", payload)
        _table(ws, doc.TARGET_HEADERS, doc.target_table(payload), widths=(10, 60, 26, 10, 12, 14, 14, 14, 16, 50, 12))
        for r, t in enumerate(payload["targets"], start=3):
            unit = next((k["unit"] for k in payload["kpis"] if k["id"] == t["kpi"]), "count")
            for col in (6, 7, 8):
                ws.cell(r, col).number_format = FORMATS[unit]
        ws.append([])
        ws.append([f"Quy tắc đánh giá: {payload['targets_registry']['status_rule']}"])

        ws = wb.create_sheet("Điểm QĐ 766")
        _title(ws, f"Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg) — {doc.score_summary(payload)}",
               payload)
        _table(ws, doc.SCORE_HEADERS, doc.score_table(payload), widths=(14, 50, 12, 10, 12, 10, 60))
        for (points, rate) in ws.iter_rows(min_row=3, min_col=4, max_col=5):
            points.number_format, rate.number_format = "0.00", FORMATS["percent"]
        ws.append([])
        s = payload["score766"]
        ws.append([f"Nguồn: {s['source']} (phiên bản {s['version']}); cách tính: {s['rule']}"])

        ws = wb.create_sheet("Nguồn và định nghĩa")
        _title(ws, "Nguồn, định nghĩa và căn cứ", payload)
        _table(ws, doc.DEFINITION_HEADERS, doc.definition_table(payload), widths=(32, 44, 40, 14, 90, 50))
        ws.append([])
        ws.append(["Mục tiêu", "Căn cứ pháp lý", "Độ tin cậy"])
        for t in payload["targets"]:
            ws.append([f"{t['id']}: {t['title_vi']}", t["source"], t["confidence"]])

        created = datetime.fromisoformat(payload["snapshot"]["created_at"]).replace(tzinfo=None)
        wb.properties.creator = "IOC TP.HCM"
        wb.properties.title = f"{doc.TITLE} — {payload['snapshot']['id']}"
        wb.properties.created = wb.properties.modified = created
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
