"""The KPI catalogue: each KPI defined once, over the daily rollups, and used by the map, the tiles,
the drill-downs (and later the exports and the API).

A KPI is a ratio or a sum of rollup measures. A ratio with a zero denominator is "no data" (NaN),
never 0 %: a commune with no dossiers has not failed its target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class KPI:
    id: str
    name_vi: str
    name_en: str
    unit: Literal["count", "percent"]
    better: Literal["higher", "lower"]
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    definition_vi: str = ""
    definition_en: str = ""
    source: str = ""

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


PORTAL_RULE = "Cổng DVCQG, cách tính đúng hạn (KPIS.md §3); QĐ 766/QĐ-TTg chỉ số 2.1"
CATALOGUE: dict[str, KPI] = {k.id: k for k in (
    KPI("dossiers_received", "Hồ sơ tiếp nhận", "Dossiers received", "count", "higher",
        ("received",), definition_vi="Số hồ sơ tiếp nhận trong kỳ (theo ngày tiếp nhận)",
        definition_en="Dossiers received in the period (by day of receipt)", source="Cổng DVCQG: NgayTiepNhan"),
    KPI("dossiers_completed", "Hồ sơ đã giải quyết", "Dossiers completed", "count", "higher",
        ("completed",), definition_vi="Hồ sơ kết thúc xử lý trong kỳ (giải quyết, trả kết quả, dừng, rút, từ chối)",
        definition_en="Dossiers that ended in the period (processed, returned, stopped, withdrawn, rejected)",
        source=PORTAL_RULE),
    KPI("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate", "percent", "higher",
        ("completed_early", "completed_on_time"), ("completed",),
        definition_vi="Hồ sơ kết thúc trước hoặc đúng hẹn / hồ sơ kết thúc trong kỳ; yêu cầu bổ sung quá 1 lần tính trễ hạn",
        definition_en="Dossiers ended by their appointment time / dossiers ended in the period; "
                      "more than one supplement request counts as late",
        source=PORTAL_RULE),
    KPI("online_share", "Tỷ lệ hồ sơ trực tuyến", "Online share", "percent", "higher",
        ("received_online",), ("received",),
        definition_vi="Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận trong kỳ",
        definition_en="Dossiers submitted online / dossiers received in the period",
        source="Cổng DVCQG: KenhThucHien = 2"),
    KPI("full_online_share", "Tỷ lệ hồ sơ trực tuyến toàn trình", "Fully-online share", "percent", "higher",
        ("received_full_online",), ("received",),
        definition_vi="Hồ sơ xử lý trực tuyến toàn trình / hồ sơ tiếp nhận; mục tiêu ≥ 80 % (KH 02-KH/BCĐTW)",
        definition_en="Dossiers processed fully online / dossiers received; target ≥ 80 % (Plan 02-KH/BCĐTW)",
        source="KH 02-KH/BCĐTW; QĐ 126/QĐ-BCĐCP"),
    KPI("tickets_received", "Phản ánh tiếp nhận (1022)", "Hotline tickets received", "count", "lower",
        ("tickets_received",), definition_vi="Phản ánh, kiến nghị tiếp nhận qua tổng đài 1022 trong kỳ",
        definition_en="Citizen reports received by hotline 1022 in the period", source="Tổng đài 1022"),
    KPI("tickets_open", "Phản ánh đang mở", "Open hotline tickets", "count", "lower",
        ("tickets_open",), definition_vi="Phản ánh chưa đóng vào cuối kỳ",
        definition_en="Tickets not closed at the end of the period", source="Tổng đài 1022"),
    KPI("tickets_on_time_rate", "Tỷ lệ phản ánh xử lý đúng hạn", "Tickets closed on time", "percent", "higher",
        ("tickets_closed_on_time",), ("tickets_closed",),
        definition_vi="Phản ánh đóng đúng hạn (15 ngày làm việc nếu nguồn không ghi hạn) / phản ánh đóng trong kỳ",
        definition_en="Tickets closed by their deadline (15 working days unless the source gives one) / "
                      "tickets closed in the period", source="QĐ 766/QĐ-TTg chỉ số 5.2"),
    KPI("documents_total", "Văn bản", "Documents", "count", "higher",
        ("documents_total",), definition_vi="Văn bản đến và đi trong kỳ",
        definition_en="Incoming and outgoing documents in the period", source="Hệ thống quản lý văn bản"),
    KPI("documents_signed_share", "Tỷ lệ văn bản ký số", "Digitally signed documents", "percent", "higher",
        ("documents_signed",), ("documents_total",),
        definition_vi="Văn bản ký số / tổng văn bản; mục tiêu 100 % (QĐ 942/QĐ-TTg)",
        definition_en="Digitally signed documents / all documents; target 100 % (QĐ 942/QĐ-TTg)",
        source="QĐ 942/QĐ-TTg"),
)}
