"""CSV: one row per unit and KPI, UTF-8 with a byte-order mark so Excel reads the Vietnamese correctly.

Numbers are written machine-readable (a dot for decimals, no thousands separator, 15 significant digits);
no data is an empty cell, never 0. Every row carries the snapshot id and, for demo data, the demo mark.
"""
from __future__ import annotations

import csv
import io

from exports.document import DEMO_MARK, UNIT_VI

HEADERS = ("Mã ảnh chụp", "Phạm vi", "Mã đơn vị", "Tên đơn vị", "Từ ngày", "Đến ngày", "Mã chỉ số", "Chỉ số",
           "Giá trị", "Đơn vị tính", "Nguồn", "Phiên bản dữ liệu", "Dữ liệu đến", "Ghi chú")


def cell(value) -> str:
    return "" if value is None else f"{value:.15g}"


class CSV:
    format = "csv"
    media_type = "text/csv; charset=utf-8"

    def render(self, payload: dict) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADERS)
        common = (payload["snapshot"]["id"], payload["scope"]["key"])
        tail = (payload["data_version"], payload["data_as_of"] or "", DEMO_MARK if payload["demo"] else "")
        scope = payload["scope"]
        for k in payload["kpis"]:
            writer.writerow((*common, scope["code"], scope["name_vi"], payload["from"], payload["to"], k["id"],
                             k["name_vi"], cell(k["value"]), UNIT_VI[k["unit"]], k["source"], *tail))
        catalogue = {k["id"]: k for k in payload["kpis"]}
        for unit in payload["units"]:
            for kpi_id, value in unit["kpis"].items():
                k = catalogue[kpi_id]
                writer.writerow((*common, unit["code"], unit["name"], payload["from"], payload["to"], kpi_id,
                                 k["name_vi"], cell(value), UNIT_VI[k["unit"]], k["source"], *tail))
        return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")
