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
    # map status, views and zoom presets (issue 5)
    "status_green": ("Đạt chỉ tiêu", "Target met"),
    "status_amber": ("Gần đạt (thiếu không quá {share} chỉ tiêu)", "Close (short by at most {share} of the target)"),
    "status_red": ("Chưa đạt", "Below target"),
    "status_green_short": ("Đạt", "Met"),
    "status_amber_short": ("Gần đạt", "Close"),
    "status_red_short": ("Chưa đạt", "Below"),
    "status_none": ("Không có dữ liệu", "No data"),
    "legend_target": ("Chỉ tiêu", "Target"),
    "legend_no_target": ("Chỉ số này chưa có chỉ tiêu trong danh mục: màu theo giá trị",
                         "No target in the registry for this KPI: coloured by value"),
    "legend_judged_on": ("so với giá trị của kỳ đang chọn", "judged on the chosen period's value"),
    "trend_prev": ("So với kỳ trước", "vs previous period"),
    "map_view": ("Cách xem", "View"),
    "view_map": ("Bản đồ", "Map"),
    "view_tiles": ("Ô đều nhau", "Equal tiles"),
    "zoom": ("Vùng", "Area"),
    "zoom_city": ("Toàn Thành phố", "Whole city"),
    "zoom_core": ("Khu trung tâm", "Urban core"),
    "zoom_binh_duong": ("Khu vực Bình Dương cũ", "Former Bình Dương"),
    "zoom_ba_ria_vung_tau": ("Khu vực Bà Rịa – Vũng Tàu cũ", "Former Bà Rịa–Vũng Tàu"),
    "zoom_con_dao": ("Côn Đảo", "Côn Đảo"),
    "tile_map_title": ("Mỗi xã, phường một ô bằng nhau", "Every commune one equal tile"),
    # wall mode (issue 5)
    "wall_view_map": ("Bản đồ", "Map"),
    "wall_view_tilemap": ("Bản đồ ô", "Tile map"),
    "wall_view_tiles": ("Chỉ số chính", "Headline KPIs"),
    "wall_view_hotline": ("Đường dây nóng 1022", "Hotline 1022"),
    "wall_view_plan02": ("Kế hoạch 02: chỉ tiêu", "Plan 02 targets"),
    "wall_view_d766": ("Quyết định 766: điểm", "Decision 766 scores"),
    "fresh": ("Cập nhật", "Up to date"),
    "data_version": ("Phiên bản dữ liệu", "Data version"),
    "overdue_tickets_by_commune": ("Xã, phường nhiều phản ánh quá hạn nhất", "Communes with the most overdue tickets"),
    "target_col": ("Chỉ tiêu", "Target"),
    "value_now": ("Hiện tại", "Now"),
    "deadline": ("Hạn", "Deadline"),
    "status": ("Tình trạng", "Status"),
    "score": ("Điểm", "Score"),
    "band": ("Xếp loại", "Band"),
    "best_communes": ("Cao nhất", "Highest"),
    "worst_communes": ("Thấp nhất", "Lowest"),
    "measurable": ("đo được {points} / 100 điểm", "{points} of 100 points measurable"),
    "departments": ("Sở, ban, ngành", "Departments"),
    "status_not_measured": ("Chưa đo được từ nguồn dữ liệu", "Not measured by the feeds"),
    "status_not_judged": ("Theo dõi, không đánh giá", "Shown, not judged"),
    "unknown_view": ("Không có màn hình", "No such view"),
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
