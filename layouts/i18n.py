"""Vietnamese first, English available (`?lang=en`): labels and number formats for the pages."""
from __future__ import annotations

import math
from datetime import date

LANGUAGES = ("vi", "en")

MESSAGES = {
    "app_title": ("Trung tâm Điều hành Thông minh TP. Hồ Chí Minh", "Ho Chi Minh City Intelligent Operations Centre"),
    "demo_banner": ("DỮ LIỆU MINH HỌA — không phải số liệu thật của Thành phố",
                    "DEMO DATA — not the city's real figures"),
    "data_as_of": ("Dữ liệu đến", "Data as of"),
    "no_data_yet": ("Chưa có dữ liệu: nguồn đang được nạp lần đầu", "No data yet: sources are loading for the first time"),
    "stale": ("Nguồn dữ liệu chậm cập nhật", "Source data is stale"),
    "loading": ("Đang nạp lịch sử", "Loading history"),
    "overview": ("Tổng quan", "Overview"),
    "city": ("Toàn Thành phố", "Whole city"),
    "period": ("Kỳ báo cáo", "Period"),
    "kpi": ("Chỉ số trên bản đồ", "KPI on the map"),
    "map_title": ("Bản đồ 168 xã, phường, đặc khu", "Map of the 168 communes"),
    "map_hint": ("Bấm vào một xã, phường để xem chi tiết", "Click a commune to open its details"),
    "no_data": ("không có dữ liệu", "no data"),
    "rank": ("Hạng", "Rank"),
    "dossiers_by_day": ("Hồ sơ theo ngày", "Dossiers by day"),
    "received": ("Tiếp nhận", "Received"),
    "completed_on_time": ("Giải quyết đúng hạn", "Completed on time"),
    "completed_late": ("Giải quyết trễ hạn", "Completed late"),
    "tickets_by_category": ("Phản ánh 1022 theo lĩnh vực", "Hotline 1022 tickets by category"),
    "documents_by_direction": ("Văn bản đến và đi", "Documents incoming and outgoing"),
    "incoming": ("Đến", "Incoming"),
    "outgoing": ("Đi", "Outgoing"),
    "unknown_commune": ("Không tìm thấy xã, phường với mã", "No commune with the code"),
    "not_found": ("Không tìm thấy trang", "Page not found"),
    "population": ("Dân số", "Population"),
    "imputed": ("ước tính", "estimated"),
    "area": ("Diện tích", "Area"),
    "type_ward": ("Phường", "Ward"),
    "type_commune": ("Xã", "Commune"),
    "type_special_zone": ("Đặc khu", "Special zone"),
    "source": ("Nguồn", "Source"),
    "definition": ("Cách tính", "Definition"),
    "language": ("English", "Tiếng Việt"),
    "7d": ("7 ngày qua", "Last 7 days"),
    "30d": ("30 ngày qua", "Last 30 days"),
    "month": ("Tháng này", "This month"),
    "ytd": ("Từ đầu năm", "Year to date"),
    "phase2": ("Giai đoạn đột phá (01/7–31/12/2025)", "Breakthrough phase (1 Jul–31 Dec 2025)"),
    "since_merger": ("Từ 01/7/2025", "Since 1 July 2025"),
    # drill-down, period comparison, ranking, Plan 02 and Decision 766 pages (issue 5)
    "week": ("Tuần này", "This week"),
    "quarter": ("Quý này", "This quarter"),
    "phase1": ("Giai đoạn cấp bách (19/6–30/6/2025)", "Urgent phase (19–30 Jun 2025)"),
    "custom": ("Tùy chọn", "Custom range"),
    "compare_with": ("So sánh với", "Compare with"),
    "cmp_none": ("Không so sánh", "No comparison"),
    "cmp_prev": ("Kỳ trước", "Previous period"),
    "cmp_yoy": ("Cùng kỳ năm trước", "Same period last year"),
    "compared_period": ("kỳ so sánh", "compared period"),
    "no_comparison": ("không so sánh được", "no comparison"),
    "unchanged": ("không đổi", "unchanged"),
    "better": ("tốt hơn", "better"),
    "worse": ("kém hơn", "worse"),
    "points": ("điểm %", "pp"),
    "kpis": ("Chỉ số", "Indicators"),
    "sector": ("Lĩnh vực", "Sector"),
    "procedure": ("Thủ tục", "Procedure"),
    "completed": ("Đã giải quyết", "Completed"),
    "on_time_rate": ("Đúng hạn", "On time"),
    "online_share": ("Trực tuyến", "Online"),
    "dossiers_by_sector": ("Hồ sơ tiếp nhận theo lĩnh vực", "Dossiers received by sector"),
    "filter": ("Lọc", "Filter"),
    "filter_by": ("Lọc theo lĩnh vực này", "Filter by this sector"),
    "clear_filter": ("Bỏ lọc", "Clear filter"),
    "filter_hint": ("Bấm vào một lĩnh vực trên biểu đồ (hoặc «Lọc» trong bảng) để lọc biểu đồ theo ngày và bảng thủ tục",
                    "Click a sector's bar (or 'Filter' in the table) to filter the daily chart and the procedure table"),
    "sectors_caption": ("Lĩnh vực trong kỳ", "Sectors in the period"),
    "procedures_caption": ("Thủ tục nhiều hồ sơ nhất trong kỳ", "Procedures with the most dossiers in the period"),
    "early_warning": ("Cảnh báo sớm", "Early warning"),
    "early_warning_caption": ("Hồ sơ đang giải quyết đã quá hạn hoặc đến hạn trong 1 ngày làm việc",
                              "Open dossiers overdue or due within one working day"),
    "overdue": ("Quá hạn", "Overdue"),
    "due_next_working_day": ("Đến hạn trong 1 ngày làm việc", "Due within one working day"),
    "state": ("Tình trạng", "State"),
    "dossier": ("Mã hồ sơ", "Dossier"),
    "due": ("Hạn trả", "Due"),
    "working_days_overdue": ("Số ngày làm việc quá hạn", "Working days overdue"),
    "ranking": ("Xếp hạng", "Ranking"),
    "ranking_title": ("Xếp hạng 168 xã, phường, đặc khu", "Ranking of the 168 communes"),
    "kpi_ranked": ("Chỉ số xếp hạng", "KPI ranked"),
    "commune": ("Xã, phường", "Commune"),
    "communes": ("xã, phường", "communes"),
    "type": ("Loại", "Type"),
    "change": ("Thay đổi", "Change"),
    "target": ("Chỉ tiêu", "Target"),
    "target_status": ("Tình trạng chỉ tiêu", "Target status"),
    "no_target": ("không có chỉ tiêu", "no target"),
    "sort_by": ("Sắp xếp theo", "Sort by"),
    "sorted_asc": ("Đang sắp xếp tăng dần", "Sorted ascending"),
    "sorted_desc": ("Đang sắp xếp giảm dần", "Sorted descending"),
    "status_green": ("Đạt", "Met"),
    "status_amber": ("Gần đạt", "Close"),
    "status_red": ("Chưa đạt", "Not met"),
    "status_no_data": ("Không có dữ liệu", "No data"),
    "status_not_measured": ("Không đo được từ nguồn dữ liệu", "Not measured by the feeds"),
    "status_not_judged": ("Không đánh giá (không có ngưỡng)", "Not judged (no threshold)"),
    "plan02": ("Kế hoạch 02", "Plan 02"),
    "plan02_title": ("Chỉ tiêu Kế hoạch 02-KH/BCĐTW", "Plan 02-KH/BCĐTW targets"),
    "plan02_caption": ("Mỗi chỉ tiêu: nguồn pháp lý, hạn, giá trị tại hạn, giá trị hiện tại, tình trạng, xu hướng, dự báo",
                       "Each target: legal source, deadline, value at the deadline, value now, status, trend, projection"),
    "as_of_day": ("Tính đến ngày", "As of"),
    "status_rule": ("Quy tắc đánh giá", "Status rule"),
    "target_id": ("Mã", "Id"),
    "threshold": ("Ngưỡng", "Threshold"),
    "legal_source": ("Nguồn pháp lý [độ tin cậy]", "Legal source [confidence]"),
    "deadline": ("Hạn", "Deadline"),
    "value_at_deadline": ("Giá trị tại hạn", "Value at the deadline"),
    "value_now": ("Giá trị hiện tại", "Value now"),
    "status": ("Tình trạng", "Status"),
    "trend": ("Xu hướng", "Trend"),
    "projection": ("Dự báo (đến hạn tới)", "Projection (next deadline)"),
    "month_unit": ("tháng", "month"),
    "met": ("đạt", "met"),
    "not_met": ("không đạt", "not met"),
    "communes_met": ("số xã, phường đạt", "communes meeting it"),
    "d766": ("Quyết định 766", "Decision 766"),
    "d766_title": ("Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)",
                   "Citizen and business service index (Decision 766/QĐ-TTg)"),
    "d766_note": ("Điểm quy về thang 100 trên số điểm đo được từ nguồn dữ liệu; chỉ tiêu không đo được không tính 0 và không tính đủ điểm",
                  "Scores are scaled to 100 over the points the feeds can measure; an unmeasured indicator counts neither 0 nor full"),
    "grain": ("Kỳ đánh giá", "Scoring period"),
    "grain_week": ("Tuần", "Week"),
    "grain_month": ("Tháng", "Month"),
    "grain_quarter": ("Quý", "Quarter"),
    "grain_year": ("Năm", "Year"),
    "unit": ("Đơn vị", "Unit"),
    "score_100": ("Điểm (thang 100)", "Score (of 100)"),
    "band": ("Xếp loại", "Band"),
    "measurable": ("Điểm đo được", "Measurable points"),
    "departments": ("Sở, ban, ngành", "Departments"),
    "communes_168": ("168 xã, phường, đặc khu", "The 168 communes"),
    "communes_in_sector": ("Các xã, phường có hồ sơ lĩnh vực này trong kỳ", "Communes with dossiers of this sector"),
    "sector_in_city": ("Lĩnh vực này trên toàn Thành phố", "This sector across the city"),
}


def t(key: str, lang: str) -> str:
    vi, en = MESSAGES[key]
    return en if lang == "en" else vi


def number(value: float | None, lang: str, decimals: int = 0) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English; no data is a dash, never 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def percent(value: float | None, lang: str) -> str:
    text = number(value, lang, 1)
    return text if text == "–" else f"{text} %"


def day(value: date, lang: str) -> str:
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()
