"""The PDF report for leadership (fpdf2, A4, 1–3 pages): headline tiles, the map, the Plan 02 targets
table, the Decision 766 score and every KPI; a footer on each page with the sources, "as of" and the
snapshot id. Demo data is marked on every page. Text in DejaVu Sans (Vietnamese glyphs; Debian's
fonts-dejavu-core, or IOC_PDF_FONT_DIR)."""
from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from exports import document as doc

FONT_DIR = Path(os.environ.get("IOC_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
PURPLE = (107, 47, 163)
NAVY = (31, 78, 121)
HEADINGS = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)


class _Report(FPDF):
    def __init__(self, payload: dict):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.payload = payload
        for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
            self.add_font("DejaVu", style, str(FONT_DIR / name))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=22)
        self.set_creation_date(datetime.fromisoformat(payload["snapshot"]["created_at"]))
        self.set_title(f"{doc.TITLE} — {payload['snapshot']['id']}")
        self.set_creator("IOC TP.HCM")

    def header(self):
        if self.payload["demo"]:
            self.set_font("DejaVu", "B", 9)
            self.set_fill_color(*PURPLE)
            self.set_text_color(255, 255, 255)
            self.cell(0, 6, doc.DEMO_MARK, fill=True, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
            self.ln(2)

    def footer(self):
        p = self.payload
        self.set_y(-19)
        self.set_font("DejaVu", "", 6.5)
        self.set_text_color(90, 90, 90)
        sources = ", ".join(f"{s['name']} ({s['kind']})" for s in p["sources"]) or "–"
        self.multi_cell(0, 3, f"Nguồn dữ liệu: {sources}. Định nghĩa chỉ số: metrics/kpis.py; mục tiêu: "
                              f"bộ mục tiêu {p['targets_registry']['version']}; QĐ 766: bộ trọng số "
                              f"{p['score766']['version']}.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 3, f"Dữ liệu đến {doc.moment(p['data_as_of'])} · phiên bản dữ liệu {p['data_version']} · "
                        f"lập {doc.moment(p['snapshot']['created_at'])} · mã ảnh chụp {p['snapshot']['id']} · "
                        f"trang {self.page_no()}/{{nb}}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 11):
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font("DejaVu", "", 8)

    def table(self, headers, rows, widths, size: float = 7):
        self.set_font("DejaVu", "", size)
        with super().table(col_widths=widths, headings_style=HEADINGS, line_height=size * 0.5,
                           text_align="LEFT", width=sum(widths)) as t:
            for r in [headers, *rows]:
                line = t.row()
                for v in r:
                    line.cell(str(v))
        self.ln(2)


def _value(v, unit: str) -> str:
    return doc.value_text(v, unit)


def _first_page(pdf: _Report, p: dict) -> None:
    from exports.png import figure_png, map_figure

    pdf.heading(doc.TITLE, 14)
    pdf.heading(f"{doc.scope_name(p)} · {doc.period_text(p)}", 11)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 4, f"Dữ liệu đến {doc.moment(p['data_as_of'])} · mã ảnh chụp {p['snapshot']['id']}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    kpis = doc.kpi_by_id(p)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(doc.HEADLINE)
    top = pdf.get_y()
    for i, kpi_id in enumerate(doc.HEADLINE):  # the tiles
        k = kpis[kpi_id]
        x = pdf.l_margin + i * width
        pdf.set_fill_color(240, 244, 248)
        pdf.rect(x + 1, top, width - 2, 20, style="F")
        pdf.set_xy(x + 2, top + 2)
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(width - 4, 3, k["name_vi"], align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_xy(x + 2, top + 12)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(width - 4, 6, _value(k["value"], k["unit"]))
    pdf.set_xy(pdf.l_margin, top + 23)
    image = figure_png(map_figure(p), width=1100, height=820, scale=1.5)
    pdf.image(io.BytesIO(image), x=pdf.l_margin, w=pdf.w - pdf.l_margin - pdf.r_margin)
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(0, 4.5, doc.score_summary(p), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _targets_page(pdf: _Report, p: dict) -> None:
    pdf.add_page()
    pdf.heading("Mục tiêu Kế hoạch 02-KH/BCĐTW và các văn bản liên quan")
    units = {k["id"]: k["unit"] for k in p["kpis"]}
    rows = []
    for t in p["targets"]:
        unit = units.get(t["kpi"], "count")
        threshold = f"{t['comparison']} {doc.number(t['threshold'], 'vi', 0)}" if t["threshold"] is not None else "–"
        rows.append((t["id"], t["title_vi"], threshold, doc.day(t["deadline"]), _value(t["value_now"], unit),
                     _value(t["projection"], unit), doc.status_words(t["status"]), t["source"]))
    pdf.table(("Mã", "Mục tiêu", "Ngưỡng", "Hạn", "Hiện tại", "Dự báo", "Đánh giá", "Căn cứ"), rows,
              (16, 58, 13, 16, 15, 15, 17, 36), size=6.2)
    pdf.set_font("DejaVu", "", 6.5)
    pdf.multi_cell(0, 3, f"Quy tắc đánh giá: {p['targets_registry']['status_rule']}.", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(2)
    s = p["score766"]
    pdf.heading(f"Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg) — {doc.score_summary(p)}", 10)
    rows = [(g["code"], g["name_vi"], doc.number(g["max"], "vi"), doc.number(g["points"], "vi", 2),
             doc.number(g["measurable"], "vi")) for g in s["groups"]]
    pdf.table(("Nhóm", "Tên", "Điểm tối đa", "Điểm", "Đo được (điểm)"), rows, (16, 80, 28, 28, 34), size=7)
    pdf.set_font("DejaVu", "", 6.5)
    pdf.multi_cell(0, 3, f"Nguồn: {s['source']}. Cách tính: {s['rule']}. Chỉ số chưa đo được không tính 0 "
                         f"cũng không tính đủ điểm.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _kpi_page(pdf: _Report, p: dict) -> None:
    pdf.add_page()
    pdf.heading("Toàn bộ chỉ số của kỳ")
    rows = [(k["name_vi"], _value(k["value"], k["unit"]), doc.BASIS_VI[k["basis"]], k["source"]) for k in p["kpis"]]
    pdf.table(("Chỉ số", "Giá trị", "Tính theo", "Nguồn"), rows, (68, 20, 14, 84), size=6.5)


class PDF:
    format = "pdf"
    media_type = "application/pdf"

    def render(self, payload: dict) -> bytes:
        pdf = _Report(payload)
        pdf.add_page()
        _first_page(pdf, payload)
        _targets_page(pdf, payload)
        _kpi_page(pdf, payload)
        return bytes(pdf.output())
