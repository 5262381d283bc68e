"""What every export says, in the same words: titles, provenance, the demo mark and the tables of a payload
with Vietnamese headers. Formats lay these out; they never reach past the payload."""
from __future__ import annotations

from datetime import date, datetime

from layouts.i18n import MESSAGES, number, percent
from metrics.time import TZ

DEMO_MARK = MESSAGES["demo_banner"][0]  # the same words as the pages' banner
TITLE = "Báo cáo chỉ số điều hành — TP. Hồ Chí Minh"
UNIT_VI = {"count": "số lượng", "percent": "%", "working_days": "ngày làm việc", "communes": "xã, phường"}
BASIS_VI = {"period": "trong kỳ", "period_end": "cuối kỳ"}
HEADLINE = ("dossiers_received", "on_time_rate", "online_share", "tickets_open", "documents_total")


def status_words(status: str | None) -> str:
    """A target's status in the words the pages use (layouts/status.py: one vocabulary everywhere)."""
    from layouts.status import label

    return label(status, "vi")


def day(text: str | None) -> str:
    return date.fromisoformat(text[:10]).strftime("%d/%m/%Y") if text else "–"


def moment(text: str | None) -> str:
    return datetime.fromisoformat(text).astimezone(TZ).strftime("%H:%M %d/%m/%Y") if text else "–"


def value_text(value, unit: str) -> str:
    """A KPI value as the pages write it in Vietnamese (1.234; 96,4 %); no data is a dash, never 0."""
    return percent(value, "vi") if unit == "percent" else number(value, "vi", 1 if unit == "working_days" else 0)


def scope_name(p: dict) -> str:
    return p["scope"]["name_vi"]


def period_text(p: dict) -> str:
    return f"{day(p['from'])} – {day(p['to'])}"


def provenance(p: dict) -> list[tuple[str, str]]:
    """(label, value) lines saying where the numbers come from."""
    s = p["snapshot"]
    lines = [
        ("Phạm vi", f"{scope_name(p)} ({p['scope']['key']})"),
        ("Kỳ báo cáo", period_text(p)),
        ("Dữ liệu đến", moment(p["data_as_of"])),
        ("Mã ảnh chụp số liệu", s["id"]),
        ("Lập lúc", moment(s["created_at"])),
        ("Người lập", s["created_by"] or "–"),
        ("Phiên bản dữ liệu", str(p["data_version"])),
        ("Phiên bản bộ mục tiêu", f"{p['targets_registry']['version']} (sha256 {p['targets_version'][:12]}…)"),
        ("Nguồn dữ liệu", ", ".join(f"{x['name']} ({x['kind']})" for x in p["sources"]) or "–"),
    ]
    if p["demo"]:
        lines.insert(0, ("Lưu ý", DEMO_MARK))
    return lines


def kpi_by_id(p: dict) -> dict[str, dict]:
    return {k["id"]: k for k in p["kpis"]}


KPI_HEADERS = ("Mã chỉ số", "Chỉ số", "Giá trị", "Đơn vị tính", "Tính theo", "Nguồn")


def kpi_table(p: dict) -> list[tuple]:
    return [(k["id"], k["name_vi"], k["value"], UNIT_VI[k["unit"]], BASIS_VI[k["basis"]], k["source"])
            for k in p["kpis"]]


TARGET_HEADERS = ("Mã", "Mục tiêu", "Chỉ số", "Ngưỡng", "Hạn", "Giá trị hiện tại", "Giá trị tại hạn",
                  "Dự báo đến hạn tới", "Đánh giá", "Căn cứ pháp lý", "Độ tin cậy")


def target_table(p: dict) -> list[tuple]:
    return [(t["id"], t["title_vi"], t["kpi"] or "–",
             f"{t['comparison']} {t['threshold']:g}" if t["threshold"] is not None else "–", day(t["deadline"]),
             t["value_now"], t["value_at_deadline"], t["projection"], status_words(t["status"]),
             t["source"], t["confidence"]) for t in p["targets"]]


SCORE_HEADERS = ("Nhóm / chỉ số", "Tên", "Điểm tối đa", "Điểm", "Tỷ lệ (%)", "Ngưỡng", "Ghi chú")


def score_table(p: dict) -> list[tuple]:
    s = p["score766"]
    rows = []
    for g in s["groups"]:
        rows.append((g["code"], g["name_vi"], g["max"], g["points"], None, None,
                     f"đo được {number(g['measurable'], 'vi')}/{g['max']} điểm"))
        rows.extend((f"  {i['id']}", i["name_en"], i["max"], i["points"], i["rate"], i["threshold"],
                     i["note"] if i["kpi"] else f"chưa đo được: {i['note']}")
                    for i in s["indicators"] if i["group"] == g["code"])
    return rows


def score_summary(p: dict) -> str:
    s = p["score766"]
    if s["total"] is None:
        return "Chỉ số QĐ 766: không có dữ liệu"
    return (f"Tổng điểm {number(s['total'], 'vi', 1)} / {number(s['measurable_points'], 'vi')} điểm đo được "
            f"(quy đổi {number(s['score_100'], 'vi', 1)}/100, xếp loại: {s['band'] or '–'})")


UNIT_HEADERS = ("Mã", "Tên đơn vị", "Cấp")
LEVEL_VI = {"commune": "Xã, phường", "department": "Sở, ngành"}


def unit_table(p: dict, level: str) -> tuple[list[str], list[tuple]]:
    """Headers (unit columns, then each KPI by its Vietnamese name) and one row per unit of the level."""
    ids = [k["id"] for k in p["kpis"]]
    names = [k["name_vi"] for k in p["kpis"]]
    rows = [(u["code"], u["name"], LEVEL_VI[u["level"]], *(u["kpis"][i] for i in ids))
            for u in p["units"] if u["level"] == level]
    return [*UNIT_HEADERS, *names], rows


DEFINITION_HEADERS = ("Mã chỉ số", "Chỉ số", "Tên tiếng Anh", "Đơn vị tính", "Cách tính", "Nguồn")


def definition_table(p: dict) -> list[tuple]:
    return [(k["id"], k["name_vi"], k["name_en"], UNIT_VI[k["unit"]], k["definition_vi"], k["source"])
            for k in p["kpis"]]


# A commune's series (its drill-down's charts): (sheet name, column headers) in Vietnamese, by series key.
SERIES = {
    "dossiers": ("Hồ sơ theo ngày", {"day": "Ngày", "received": MESSAGES["received"][0],
                                     "completed_on_time": MESSAGES["completed_on_time"][0],
                                     "completed_late": MESSAGES["completed_late"][0]}),
    "tickets": ("Phản ánh theo lĩnh vực", {"category": "Lĩnh vực", "received": MESSAGES["received"][0]}),
    "documents": ("Văn bản theo ngày", {"day": "Ngày", "direction": "Chiều", "total": "Số văn bản"}),
}
DIRECTION_VI = {"incoming": MESSAGES["incoming"][0], "outgoing": MESSAGES["outgoing"][0]}


def series_table(p: dict, key: str) -> tuple[str, list[str], list[tuple]]:
    name, columns = SERIES[key]
    rows = [tuple(DIRECTION_VI.get(r[c], r[c]) if c == "direction" else
                  date.fromisoformat(r[c]) if c == "day" else r[c] for c in columns)
            for r in p.get("series", {}).get(key, [])]
    return name, list(columns.values()), rows
