"""The KPI catalogue: each KPI defined once, over the rollup measures, and used by the map, the tiles,
the drill-downs, the targets, the Decision 766 score, the command line (and later the exports and the API).

A KPI is a sum of measures (a count), a ratio of sums (a percentage or a mean), or one measure taken as it
is (a median, a longest run). The measures are built by metrics.frame from the rollups; `MEASURES` says what
each one counts over the record contracts. A ratio with a zero denominator is "no data" (NaN), never 0 %:
a commune with no dossiers has not failed its target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metrics.rules import rule

Unit = Literal["count", "percent", "working_days", "communes"]


@dataclass(frozen=True)
class KPI:
    id: str
    name_vi: str
    name_en: str
    unit: Unit
    better: Literal["higher", "lower"]
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    definition_vi: str = ""
    definition_en: str = ""
    source: str = ""
    basis: Literal["period", "period_end"] = "period"  # counted over the period, or a stock at its last day

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def definition(self, lang: str) -> str:
        return self.definition_vi if lang == "vi" else self.definition_en

    @property
    def scale(self) -> float:
        return 100.0 if self.unit == "percent" else 1.0


_SUPP = rule("late_supplement_requests")
_NEG = rule("negative_rating_max")

# What each measure counts, over the record contracts (ingest/contracts.py); "in the period" means the event
# day (local date) falls in [from, to]; "at the end" means at the end of the period's last day.
ENDED = "status completed, returned, withdrawn or rejected (completed_at set)"
MEASURES: dict[str, str] = {
    "received": "dossiers with received_at in the period",
    "received_online": "of those, channel = online",
    "received_full_online": "of those, full_process_online",
    "received_fee_bearing": "of those, fee_bearing",
    "received_paid_online": "of those, fee_bearing and paid_online",
    "received_digitised": "of those, digitised",
    "received_data_reused": "of those, data_reused",
    "received_accepted_late": "of those, channel = online and accepted_late",
    "completed": f"dossiers that ended in the period ({ENDED})",
    "completed_early": f"of those, ended by due_at on a day before the due day, with ≤ {_SUPP} supplement request",
    "completed_on_time": f"of those, ended by due_at on the due day, with ≤ {_SUPP} supplement request",
    "completed_late": f"of those, ended after due_at or with > {_SUPP} supplement requests",
    "completed_processed": "of those, status completed or returned (a result was issued)",
    "completed_e_result": "of those processed, e_result",
    "completed_working_days": "of those ended, the sum of working days from the received day to the end day",
    "completed_timed": "of those ended, the number whose working days could be counted",
    "completed_median_working_days": "of those ended, the median of working days from received day to end day",
    "open": "dossiers received by the end of the period and not ended at its end",
    "open_overdue": f"of those, due before the end of the period or with > {_SUPP} supplement requests",
    "open_within": "of those, still within their due date at the end of the period (open − open_overdue)",
    "tickets_received": "hotline tickets with received_at in the period",
    "tickets_closed": "tickets closed in the period (status closed; closed_at)",
    "tickets_closed_on_time": "of those, closed_at ≤ due_at",
    "tickets_closed_reopened": "of those, reopened",
    "tickets_closed_unsatisfactory": f"of those, reopened, rated ≤ {_NEG} of 5, or closed after due_at (counted once)",
    "tickets_closed_satisfactory": "of those, not unsatisfactory (tickets_closed − tickets_closed_unsatisfactory)",
    "tickets_open": "tickets received by the end of the period and not closed at its end",
    "tickets_open_overdue": "of those, due_at before the end of the period",
    "tickets_open_within": "of those, not yet due at the end of the period",
    "documents_total": "incoming and outgoing documents counted on days in the period",
    "documents_electronic": "of those, electronic",
    "documents_signed": "of those, digitally signed",
    "working_days": "working days in the period (metrics.calendar: Mon–Fri minus holidays, Tết, official swaps)",
    "active_working_days": "working days in the period on which the commune received ≥ 1 dossier",
    "active_every_working_day": "1 when a commune received dossiers on every working day of the period, else 0",
    "receiving_online": "1 when a commune received ≥ 1 online dossier in the period, else 0",
    "longest_idle_working_days": "the longest run of consecutive working days without a dossier received "
                                 "(city: the largest over the communes)",
}

PORTAL_RULE = "Cổng DVCQG, cách tính đúng hạn [secondary] (KPIS.md §3)"
CATALOGUE: dict[str, KPI] = {k.id: k for k in (
    # ---- dossiers: volumes
    KPI("dossiers_received", "Hồ sơ tiếp nhận", "Dossiers received", "count", "higher",
        ("received",), definition_vi="Số hồ sơ tiếp nhận trong kỳ (theo ngày tiếp nhận)",
        definition_en="Dossiers received in the period (by day of receipt)", source="Cổng DVCQG: NgayTiepNhan"),
    KPI("dossiers_completed", "Hồ sơ đã giải quyết", "Dossiers completed", "count", "higher",
        ("completed",), definition_vi="Hồ sơ kết thúc xử lý trong kỳ (giải quyết, trả kết quả, dừng, rút, từ chối)",
        definition_en="Dossiers that ended in the period (processed, returned, stopped, withdrawn, rejected)",
        source=PORTAL_RULE),
    KPI("dossiers_open", "Hồ sơ đang giải quyết", "Dossiers open", "count", "lower",
        ("open",), definition_vi="Hồ sơ đã tiếp nhận, chưa kết thúc vào cuối kỳ",
        definition_en="Dossiers received and not ended at the end of the period", source=PORTAL_RULE,
        basis="period_end"),
    # ---- dossiers: timeliness
    KPI("on_time_rate", "Tỷ lệ giải quyết đúng hạn", "On-time rate (ended)", "percent", "higher",
        ("completed_early", "completed_on_time"), ("completed",),
        definition_vi="Hồ sơ kết thúc trước hoặc đúng hẹn / hồ sơ kết thúc trong kỳ; thời gian chờ bổ sung không "
                      "tính (hẹn trả đã lùi theo thời gian chờ); yêu cầu bổ sung quá 1 lần tính trễ hạn",
        definition_en="Dossiers ended by their appointment time / dossiers ended in the period; supplement waiting "
                      "time excluded (the appointment is moved by it); more than one supplement request is late",
        source=PORTAL_RULE),
    KPI("progress_on_time_rate", "Tỷ lệ đúng hạn (tiến độ giải quyết)", "On-time rate (portal, open included)",
        "percent", "higher", ("completed_early", "completed_on_time", "open_within"), ("completed", "open"),
        definition_vi="(Hồ sơ kết thúc đúng hạn trong kỳ + hồ sơ đang giải quyết còn hạn vào cuối kỳ) / (hồ sơ kết "
                      "thúc trong kỳ + hồ sơ đang giải quyết vào cuối kỳ)",
        definition_en="(Dossiers ended on time in the period + open dossiers still within their due date at the "
                      "period's end) / (dossiers ended in the period + dossiers open at its end)",
        source=f"{PORTAL_RULE}; QĐ 766/QĐ-TTg chỉ số 2.1", basis="period_end"),
    KPI("dossiers_completed_early", "Giải quyết trước hạn", "Completed early", "count", "higher",
        ("completed_early",), definition_vi="Hồ sơ kết thúc trước ngày hẹn trả",
        definition_en="Dossiers ended on a day before their due day", source=PORTAL_RULE),
    KPI("dossiers_completed_on_time", "Giải quyết đúng hạn (trong ngày hẹn)", "Completed on the due day", "count",
        "higher", ("completed_on_time",), definition_vi="Hồ sơ kết thúc trong ngày hẹn trả, trước giờ hẹn",
        definition_en="Dossiers ended on their due day, by the appointment time", source=PORTAL_RULE),
    KPI("dossiers_completed_late", "Giải quyết trễ hạn", "Completed late", "count", "lower",
        ("completed_late",), definition_vi="Hồ sơ kết thúc sau giờ hẹn, hoặc đã yêu cầu bổ sung quá 1 lần",
        definition_en="Dossiers ended after the appointment time, or with more than one supplement request",
        source=PORTAL_RULE),
    KPI("dossiers_open_within_deadline", "Đang giải quyết còn hạn", "Open within deadline", "count", "higher",
        ("open_within",), definition_vi="Hồ sơ đang giải quyết vào cuối kỳ, chưa đến hạn",
        definition_en="Dossiers open at the end of the period and not yet due", source=PORTAL_RULE,
        basis="period_end"),
    KPI("dossiers_open_overdue", "Đang giải quyết quá hạn", "Open overdue", "count", "lower",
        ("open_overdue",), definition_vi="Hồ sơ đang giải quyết vào cuối kỳ đã quá hạn (hoặc đã bổ sung quá 1 lần)",
        definition_en="Dossiers open at the end of the period past their due time (or with more than one "
                      "supplement request)", source=PORTAL_RULE, basis="period_end"),
    KPI("processing_days_mean", "Thời gian giải quyết trung bình", "Mean processing time", "working_days", "lower",
        ("completed_working_days",), ("completed_timed",),
        definition_vi="Trung bình số ngày làm việc từ ngày tiếp nhận đến ngày kết thúc, của hồ sơ kết thúc trong kỳ",
        definition_en="Mean working days from the received day to the day ended, over dossiers ended in the period "
                      "(supplement waiting time included: the records do not carry it)",
        source="metrics.calendar (ngày làm việc)"),
    KPI("processing_days_median", "Thời gian giải quyết trung vị", "Median processing time", "working_days",
        "lower", ("completed_median_working_days",),
        definition_vi="Trung vị số ngày làm việc từ ngày tiếp nhận đến ngày kết thúc, của hồ sơ kết thúc trong kỳ",
        definition_en="Median working days from the received day to the day ended, over dossiers ended in the period",
        source="metrics.calendar (ngày làm việc)"),
    # ---- dossiers: channel and digitisation
    KPI("online_share", "Tỷ lệ hồ sơ trực tuyến", "Online share", "percent", "higher",
        ("received_online",), ("received",),
        definition_vi="Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận trong kỳ",
        definition_en="Dossiers submitted online / dossiers received in the period",
        source="Cổng DVCQG: KenhThucHien = 2"),
    KPI("full_online_share", "Tỷ lệ hồ sơ trực tuyến toàn trình", "Fully-online share", "percent", "higher",
        ("received_full_online",), ("received",),
        definition_vi="Hồ sơ xử lý trực tuyến toàn trình / hồ sơ tiếp nhận trong kỳ",
        definition_en="Dossiers processed fully online / dossiers received in the period",
        source="KH 02-KH/BCĐTW; QĐ 126/QĐ-BCĐCP"),
    KPI("e_result_share", "Tỷ lệ trả kết quả điện tử", "Electronic results", "percent", "higher",
        ("completed_e_result",), ("completed_processed",),
        definition_vi="Hồ sơ có kết quả điện tử / hồ sơ đã giải quyết (có kết quả) trong kỳ",
        definition_en="Dossiers with an electronic result / dossiers processed (a result issued) in the period",
        source="QĐ 766/QĐ-TTg chỉ số 4.1; QĐ 1565/QĐ-TTg"),
    KPI("digitised_share", "Tỷ lệ số hóa hồ sơ", "Digitised dossiers", "percent", "higher",
        ("received_digitised",), ("received",),
        definition_vi="Hồ sơ được số hóa / hồ sơ tiếp nhận trong kỳ",
        definition_en="Digitised dossiers / dossiers received in the period", source="QĐ 766/QĐ-TTg chỉ số 4.2"),
    KPI("data_reused_share", "Tỷ lệ tái sử dụng dữ liệu", "Data reused", "percent", "higher",
        ("received_data_reused",), ("received",),
        definition_vi="Hồ sơ tái sử dụng dữ liệu số hóa / hồ sơ tiếp nhận trong kỳ",
        definition_en="Dossiers reusing digitised data / dossiers received in the period",
        source="QĐ 766/QĐ-TTg chỉ số 4.3"),
    KPI("paid_online_share", "Tỷ lệ thanh toán trực tuyến", "Paid online", "percent", "higher",
        ("received_paid_online",), ("received_fee_bearing",),
        definition_vi="Hồ sơ thanh toán phí, lệ phí trực tuyến / hồ sơ có phí, lệ phí tiếp nhận trong kỳ",
        definition_en="Fee-bearing dossiers paid online / fee-bearing dossiers received in the period",
        source="QĐ 766/QĐ-TTg chỉ số 3.6"),
    KPI("late_intake_share", "Tỷ lệ tiếp nhận trễ", "Late intake", "percent", "lower",
        ("received_accepted_late",), ("received_online",),
        definition_vi="Hồ sơ trực tuyến tiếp nhận sau hơn 1 ngày làm việc kể từ khi nộp / hồ sơ trực tuyến",
        definition_en="Online dossiers accepted more than 1 working day after submission (accepted_late) / "
                      "online dossiers received", source="NĐ 118/2025/NĐ-CP [press]"),
    # ---- hotline 1022
    KPI("tickets_received", "Phản ánh tiếp nhận (1022)", "Hotline tickets received", "count", "lower",
        ("tickets_received",), definition_vi="Phản ánh, kiến nghị tiếp nhận qua tổng đài 1022 trong kỳ",
        definition_en="Citizen reports received by hotline 1022 in the period", source="Tổng đài 1022"),
    KPI("tickets_open", "Phản ánh đang mở", "Open hotline tickets", "count", "lower",
        ("tickets_open",), definition_vi="Phản ánh chưa đóng vào cuối kỳ",
        definition_en="Tickets not closed at the end of the period", source="Tổng đài 1022", basis="period_end"),
    KPI("tickets_open_overdue", "Phản ánh quá hạn chưa đóng", "Open tickets overdue", "count", "lower",
        ("tickets_open_overdue",), definition_vi="Phản ánh chưa đóng vào cuối kỳ, đã quá hạn xử lý",
        definition_en="Tickets open at the end of the period past their due time", source="Tổng đài 1022",
        basis="period_end"),
    KPI("tickets_on_time_rate", "Tỷ lệ phản ánh xử lý đúng hạn", "Tickets closed on time", "percent", "higher",
        ("tickets_closed_on_time",), ("tickets_closed",),
        definition_vi="Phản ánh đóng đúng hạn (15 ngày làm việc nếu nguồn không ghi hạn) / phản ánh đóng trong kỳ",
        definition_en="Tickets closed by their deadline (15 working days unless the source gives one) / "
                      "tickets closed in the period", source="Tổng đài 1022 [secondary]"),
    KPI("tickets_handled_on_time_rate", "Tỷ lệ phản ánh đúng hạn (kể cả đang xử lý)",
        "Tickets handled on time (open included)", "percent", "higher",
        ("tickets_closed_on_time", "tickets_open_within"), ("tickets_closed", "tickets_open"),
        definition_vi="(Phản ánh đóng đúng hạn + đang xử lý còn hạn vào cuối kỳ) / (đóng trong kỳ + đang mở cuối kỳ)",
        definition_en="(Tickets closed on time + open and within deadline at the period's end) / (tickets closed "
                      "in the period + open at its end)", source="QĐ 766/QĐ-TTg chỉ số 5.2 [secondary]",
        basis="period_end"),
    KPI("tickets_reopened", "Phản ánh bị mở lại", "Tickets reopened", "count", "lower",
        ("tickets_closed_reopened",), definition_vi="Phản ánh đóng trong kỳ đã từng bị mở lại (đóng ≠ đã giải quyết)",
        definition_en="Tickets closed in the period that had been reopened (closed is not resolved)",
        source="Tổng đài 1022 [secondary]"),
    KPI("tickets_satisfaction", "Mức độ hài lòng (phản ánh)", "Ticket satisfaction", "percent", "higher",
        ("tickets_closed_satisfactory", "tickets_open_within"), ("tickets_closed", "tickets_open"),
        definition_vi=f"(Phản ánh đóng trong kỳ không bị mở lại, không bị đánh giá ≤ {_NEG}/5, không trễ hạn + đang mở "
                      "còn hạn) / (đóng trong kỳ + đang mở cuối kỳ)",
        definition_en=f"(Tickets closed in the period neither reopened, rated ≤ {_NEG} of 5 nor late + open within "
                      "deadline at the end) / (closed in the period + open at its end)",
        source="QĐ 766/QĐ-TTg chỉ số 5.3 [secondary]", basis="period_end"),
    # ---- documents
    KPI("documents_total", "Văn bản", "Documents", "count", "higher",
        ("documents_total",), definition_vi="Văn bản đến và đi trong kỳ",
        definition_en="Incoming and outgoing documents in the period", source="Hệ thống quản lý văn bản"),
    KPI("documents_electronic_share", "Tỷ lệ văn bản điện tử", "Electronic documents", "percent", "higher",
        ("documents_electronic",), ("documents_total",),
        definition_vi="Văn bản điện tử / tổng văn bản đến và đi trong kỳ",
        definition_en="Electronic documents / all incoming and outgoing documents in the period",
        source="QĐ 942/QĐ-TTg"),
    KPI("documents_signed_share", "Tỷ lệ văn bản ký số", "Digitally signed documents", "percent", "higher",
        ("documents_signed",), ("documents_total",),
        definition_vi="Văn bản ký số / tổng văn bản đến và đi trong kỳ",
        definition_en="Digitally signed documents / all incoming and outgoing documents in the period",
        source="QĐ 942/QĐ-TTg"),
    # ---- continuity (communes only; departments have no row)
    KPI("active_working_days_share", "Tỷ lệ ngày làm việc có tiếp nhận", "Working days with intake", "percent",
        "higher", ("active_working_days",), ("working_days",),
        definition_vi="Ngày làm việc có ít nhất 1 hồ sơ tiếp nhận / ngày làm việc trong kỳ (xã, phường)",
        definition_en="Working days with at least one dossier received / working days in the period (communes)",
        source="KH 02-KH/BCĐTW, giai đoạn cấp bách (không gián đoạn)"),
    KPI("communes_active_every_working_day", "Xã, phường tiếp nhận mọi ngày làm việc",
        "Communes active on every working day", "communes", "higher", ("active_every_working_day",),
        definition_vi="Số xã, phường có hồ sơ tiếp nhận trong mọi ngày làm việc của kỳ",
        definition_en="Communes that received dossiers on every working day of the period",
        source="KH 02-KH/BCĐTW, giai đoạn cấp bách (không gián đoạn)"),
    KPI("communes_receiving_online", "Xã, phường có hồ sơ trực tuyến", "Communes receiving online dossiers",
        "communes", "higher", ("receiving_online",),
        definition_vi="Số xã, phường có ít nhất 1 hồ sơ trực tuyến trong kỳ",
        definition_en="Communes with at least one online dossier in the period", source="TB 408/TB-VPCP"),
    KPI("longest_idle_working_days", "Chuỗi ngày làm việc không tiếp nhận dài nhất",
        "Longest run of working days without intake", "working_days", "lower", ("longest_idle_working_days",),
        definition_vi="Số ngày làm việc liên tiếp dài nhất không có hồ sơ tiếp nhận (Thành phố: lớn nhất các xã)",
        definition_en="Longest run of consecutive working days without a dossier received (city: the largest "
                      "over the communes)", source="KH 02-KH/BCĐTW, giai đoạn cấp bách (không gián đoạn)"),
)}

