"""The drill-down (commune → sector → procedure), the ranking, Plan 02 and Decision 766 pages over HTTP: what the
router renders from a URL, the cross-filter a click on a sector writes, the redraw from the query string."""
from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from app import create_app
from ingest import pipeline
from metrics.time import local_day, now
from tests.conftest import signed_in_client, test_settings
from tests.records import dossier, given
from tests.test_app import call, route, walk

UNIT = "26506"


def _day(offset: int, hour: int = 9) -> str:
    return f"{local_day(now()) - timedelta(days=offset)} {hour:02d}:00"


HOUSEHOLD = {"sector": "Hộ tịch", "procedure_code": "2.001", "procedure_name": "Đăng ký khai sinh"}
# Recent records (the default period is the last 30 days, relative to today).
ROWS = [dossier("C1", received=_day(5), due=_day(3, 17), completed=_day(4), status="completed"),
        dossier("C2", received=_day(6), due=_day(4, 17), completed=_day(2), status="completed"),
        dossier("H1", received=_day(5), due=_day(3, 17), completed=_day(4), status="completed", **HOUSEHOLD),
        dossier("H2", received=_day(3), due=_day(1, 17), **HOUSEHOLD),  # open, overdue since yesterday
        dossier("Y1", received=_day(370), due=_day(368, 17), completed=_day(369), status="completed")]


@pytest.fixture
def client(engine, db_url):
    pipeline.pull(engine, given([("dossier", ROWS)]), until=now() + timedelta(hours=1))
    return signed_in_client(create_app(test_settings(db_url)), engine, "leader", "leader")


def values(array) -> list:
    """A figure's array as sent: a list, or plotly's typed array ({dtype, bdata: base64})."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def text_of(node) -> str:
    return json.dumps(node, ensure_ascii=False)


def links(node) -> list[str]:
    return [c["props"]["href"] for c in walk(node) if c.get("type") == "Link" and "href" in c.get("props", {})]


def redraw_outputs(client, first: str) -> list[dict]:
    """The outputs of the redraw whose first output is `first`'s children, as the browser names them."""
    spec = next(spec for key, spec in client.callbacks.items() if key.startswith(f"..{first}.children"))
    return [{"id": o.component_id, "property": o.component_property} for o in spec["output"]]


def test_commune_page_has_sectors_procedures_and_the_early_warning(client):
    page = route(client, f"/commune/{UNIT}")
    text = text_of(page)
    assert "Hộ tịch" in text and "Chứng thực" in text and "Đăng ký khai sinh" in text
    assert "Cảnh báo sớm" in text and "Quá hạn: 1" in text  # H2 is overdue
    hrefs = links(page)
    assert f"/commune/{UNIT}/sector/ho-tich" in hrefs
    assert f"/commune/{UNIT}/sector/ho-tich/procedure/2.001" in hrefs
    assert f"/commune/{UNIT}?sector=ho-tich" in hrefs  # the table's filter link (keyboard way to cross-filter)


def test_a_click_on_a_sector_filters_through_the_url_and_the_page_redraws_from_it(client):
    response = call(client, {"id": "url", "property": "search"},
                    [{"id": "commune-sectors", "property": "clickData",
                      "value": {"points": [{"customdata": "ho-tich", "y": "Hộ tịch"}]}}],
                    [{"id": "url", "property": "search", "value": "?period=7d"}])
    assert response["url"]["search"] == "?period=7d&sector=ho-tich"
    again = call(client, {"id": "url", "property": "search"},
                 [{"id": "commune-sectors", "property": "clickData",
                   "value": {"points": [{"customdata": "ho-tich"}]}}],
                 [{"id": "url", "property": "search", "value": "?period=7d&sector=ho-tich"}])
    assert again["url"]["search"] == "?period=7d"  # a second click clears the filter
    redrawn = call(client, redraw_outputs(client, "commune-note"),
                   [{"id": "url", "property": "search", "value": "?sector=ho-tich&cmp=prev"}],
                   [{"id": "commune-code", "property": "data", "value": UNIT}])
    procedures = text_of(redrawn["commune-procedures"])
    assert "Đăng ký khai sinh" in procedures and "Chứng thực bản sao" not in procedures
    daily = redrawn["commune-dossiers"]["figure"]
    assert "Hộ tịch" in daily["layout"]["title"]["text"]
    assert sum(values(daily["data"][0]["y"])) == 2  # Hộ tịch's two receipts, not the commune's four
    received = next(c for c in walk(redrawn["commune-tiles"]["children"]) if c.get("props", {}).get("data-kpi") ==
                    "dossiers_received")
    assert received["props"]["children"] == "2"  # the tiles follow the filter too
    assert len(daily["data"]) == 4  # the comparison's dashed series
    assert "Bỏ lọc" in text_of(redrawn["commune-filter"])
    assert (redrawn["commune-period"]["value"], redrawn["commune-cmp"]["value"]) == ("30d", "prev")
    assert "kém hơn" in text_of(redrawn["commune-tiles"]) or "tốt hơn" in text_of(redrawn["commune-tiles"]) \
        or "không so sánh được" in text_of(redrawn["commune-tiles"])


def test_sector_and_procedure_pages_with_breadcrumbs_back(client):
    sector = route(client, f"/commune/{UNIT}/sector/ho-tich", "?period=7d&lang=en")
    text = text_of(sector)
    assert "Hộ tịch" in text and "Đăng ký khai sinh" in text and "Dossiers by day" in text
    assert "/?lang=en&period=7d" in links(sector) and f"/commune/{UNIT}?lang=en&period=7d" in links(sector)
    procedure = route(client, f"/commune/{UNIT}/sector/ho-tich/procedure/2.001", "?period=7d")
    text = text_of(procedure)
    assert "Đăng ký khai sinh" in text and "H2" in text  # its overdue dossier in the early-warning list
    crumbs = next(c for c in walk(procedure) if c.get("props", {}).get("className") == "breadcrumb")
    assert links(crumbs) == ["/?period=7d", f"/commune/{UNIT}?period=7d", f"/commune/{UNIT}/sector/ho-tich?period=7d"]
    assert "Không tìm thấy" in text_of(route(client, f"/commune/{UNIT}/sector/khong-co"))
    assert "Không tìm thấy" in text_of(route(client, f"/commune/{UNIT}/sector/ho-tich/procedure/9.999"))


def test_ranking_lists_168_communes_and_sorts_by_the_url(client):
    page = route(client, "/ranking", "?sort=value&desc=1")
    table = next(c for c in walk(page) if c.get("type") == "Table")
    rows = table["props"]["children"][2]["props"]["children"]
    assert len(rows) == 168
    first = text_of(rows[0])
    assert "Phường Vũng Tàu" in first and "66,7 %" in first  # the only commune with ended dossiers: 2 of 3
    assert "Chưa đạt" in text_of(page) or "Đạt" in text_of(page) or "không có chỉ tiêu" in text_of(page)
    response = call(client, {"id": "url", "property": "search"},
                    [{"id": "ranking-kpi", "property": "value", "value": "online_share"},
                     {"id": "ranking-period", "property": "value", "value": "month"},
                     {"id": "ranking-cmp", "property": "value", "value": "yoy"}],
                    [{"id": "url", "property": "search", "value": ""}])
    assert response["url"]["search"] == "?period=month&kpi=online_share&cmp=yoy"


def test_plan02_and_decision_766_pages(client):
    from metrics.targets import targets

    plan = text_of(route(client, "/plan02"))
    for target in targets():
        assert f'"{target.id}"' in plan
    assert "02-KH/BCĐTW" in plan and "≥ 80,0 %" in plan
    assert not re.search(r"\bnan\b", plan, re.IGNORECASE)  # not-judged and not-counted cells are dashes
    d766 = route(client, "/d766", "?grain=quarter&lang=en")
    text = text_of(d766)
    assert "Decision 766" in text and "The 168 communes" in text and "Departments" in text
    assert f"/commune/{UNIT}?lang=en" in links(d766)
    response = call(client, {"id": "url", "property": "search"},
                    [{"id": "d766-grain", "property": "value", "value": "week"}],
                    [{"id": "url", "property": "search", "value": "?lang=en"}])
    assert response["url"]["search"] == "?lang=en&grain=week"


def test_navigation_links_on_every_page(client):
    hrefs = links(route(client, "/plan02", "?lang=en"))
    assert {"/ranking?lang=en", "/plan02?lang=en", "/d766?lang=en"} <= set(hrefs)


def test_one_sector_across_the_city_links_down_to_each_commune(client):
    sector = route(client, f"/commune/{UNIT}/sector/ho-tich", "?period=7d")
    assert "/sector/ho-tich?period=7d" in links(sector)
    page = route(client, "/sector/ho-tich", "?period=7d&cmp=prev")
    text = text_of(page)
    assert "Hộ tịch" in text and "Phường Vũng Tàu" in text
    assert f"/commune/{UNIT}/sector/ho-tich?period=7d&cmp=prev" in links(page)
    crumbs = next(c for c in walk(page) if c.get("props", {}).get("className") == "breadcrumb")
    assert links(crumbs) == ["/?period=7d&cmp=prev"]
    assert "Không tìm thấy" in text_of(route(client, "/sector/khong-co"))


def with_ancestors(node, chain=()):
    """Every component dict with the components around it, outermost first."""
    if isinstance(node, dict):
        yield node, chain
        for value in node.get("props", {}).values():
            yield from with_ancestors(value, chain + (node,))
    elif isinstance(node, list):
        for item in node:
            yield from with_ancestors(item, chain)


def badges(page) -> list[dict]:
    return [c["props"] for c in walk(page) if str(c.get("props", {}).get("className", "")).startswith("status ")]


def test_status_reads_the_same_on_every_page(client):
    """Plan 02 and the ranking show a status as layouts.status says it: glyph, colour, words, class."""
    from layouts import status as st
    from metrics.targets import band, commune_target

    def check(page, lang):
        found = badges(page)
        for props in found:
            status = props["data-status"]
            glyph, words = props["children"][0]["props"], props["children"][-1]
            assert (glyph["children"], glyph["style"]["color"], glyph["aria-hidden"]) == \
                (st.GLYPHS[status], st.COLOURS.get(status, st.COLOURS["no data"]), "true")
            assert words == st.label(status, lang) and props["className"] == st.css_class(status)
        return [p["data-status"] for p in found]

    from metrics.targets import targets

    plan = check(route(client, "/plan02"), "vi")
    assert len(plan) == len(targets()) and {"not measured", "not judged"} <= set(plan)
    ranked = route(client, "/ranking", "?kpi=full_online_share&lang=en")
    statuses = check(ranked, "en")
    assert len(statuses) == 168 and set(statuses) <= {"green", "amber", "red", "no data"}
    row = next(c for c in walk(ranked) if c.get("type") == "Tr" and "Phường Vũng Tàu" in text_of(c))
    value = float(re.search(r"(\d+(?:\.\d+)?) %", text_of(row)).group(1))
    assert badges(row)[0]["data-status"] == band(commune_target("full_online_share"), value)  # as the map judges
    assert set(check(route(client, "/ranking", "?kpi=dossiers_received"), "vi")) == {st.NO_TARGET}
    for css in ("style.css", "map.css"):  # no second definition of a status's colour in the stylesheets
        text = (Path(__file__).resolve().parent.parent / "assets" / css).read_text()
        assert not re.search(r"\.status-(green|amber|red|no-data)\b[^{]*\{[^}]*color", text), css


def chart_tables(page) -> dict[str, dict]:
    """Each graph on a page: its figure, the accessible name around it and the table in its «show as table»."""
    out = {}
    for node, chain in with_ancestors(page):
        if node.get("type") != "Graph":
            continue
        box = next(a for a in reversed(chain) if a.get("type") == "Figure")
        details = next(c for c in walk(box) if c.get("type") == "Details")
        out[node["props"]["id"]] = {"figure": node["props"]["figure"], "label": box["props"]["aria-label"],
                                    "summary": next(c for c in walk(details) if c.get("type") == "Summary")
                                    ["props"]["children"],
                                    "table": next(c for c in walk(details) if c.get("type") == "Table")}
    return out


def table_cells(table) -> tuple[list[str], list[list[str]]]:
    head, body = [c for c in table["props"]["children"] if c.get("type") in ("Thead", "Tbody")]
    headers = [th["props"]["children"] for th in head["props"]["children"]["props"]["children"]]
    rows = [[td["props"]["children"] for td in tr["props"]["children"]] for tr in body["props"]["children"]]
    return headers, rows


@pytest.mark.parametrize("path, search, graphs", [
    (f"/commune/{UNIT}", "", 4), (f"/commune/{UNIT}/sector/ho-tich", "?cmp=prev", 1),
    (f"/commune/{UNIT}/sector/ho-tich/procedure/2.001", "", 1), ("/sector/ho-tich", "?lang=en", 1)])
def test_every_drill_chart_has_a_name_and_its_figures_as_a_table(client, path, search, graphs):
    from layouts.i18n import day, number

    lang = "en" if "lang=en" in search else "vi"
    charts = chart_tables(route(client, path, search))
    assert len(charts) == graphs
    for graph_id, chart in charts.items():
        figure, (headers, rows) = chart["figure"], table_cells(chart["table"])
        title = figure["layout"]["title"]["text"]
        assert chart["label"].startswith(("Biểu đồ «" if lang == "vi" else "Chart '") + title)
        assert chart["summary"] == ("Xem dạng bảng" if lang == "vi" else "Show as table")
        assert headers[1:] == [trace["name"] for trace in figure["data"]]
        first = figure["data"][0]
        keys, plotted = (first["y"], first["x"]) if first.get("orientation") == "h" else (first["x"], first["y"])
        keys = [day(date.fromisoformat(k[:10]), lang) if re.match(r"\d{4}-\d{2}-\d{2}", str(k)) else k
                for k in values(keys)]
        shown = {r[0]: r[1] for r in rows}
        assert [shown[k] for k in keys] == [number(v, lang) for v in values(plotted)], graph_id
        assert f"{len(rows)} " in chart["label"]  # how many days or items the chart runs over
    daily = next(c for g, c in charts.items() if g.endswith(("-dossiers", "-daily")))
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}" if lang == "vi" else r"\d{4}-\d{2}-\d{2}",
                        table_cells(daily["table"])[1][0][0])


def test_a_redraw_renames_the_chart_and_redraws_its_table(client):
    redrawn = call(client, redraw_outputs(client, "commune-note"),
                   [{"id": "url", "property": "search", "value": "?sector=ho-tich"}],
                   [{"id": "commune-code", "property": "data", "value": UNIT}])
    assert "Hộ tịch" in redrawn["commune-dossiers-figure"]["aria-label"]
    headers, rows = table_cells(redrawn["commune-dossiers-table"]["children"])
    assert headers[:2] == ["Ngày", "Tiếp nhận"] and sum(int(r[1]) for r in rows) == 2  # Hộ tịch's two receipts
    sector = call(client, redraw_outputs(client, "sector-note"), [{"id": "url", "property": "search",
                                                                   "value": "?period=7d&lang=en"}],
                  [{"id": "url", "property": "pathname", "value": f"/commune/{UNIT}/sector/ho-tich"}])
    assert sector["sector-daily-figure"]["aria-label"].startswith("Chart 'Dossiers by day · Hộ tịch'")
    assert len(table_cells(sector["sector-daily-table"]["children"])[1]) == 7


def date_range(page) -> tuple[dict, dict]:
    """The custom range's picker and the box that shows or hides it."""
    for node, chain in with_ancestors(page):
        if node.get("type") == "DatePickerRange":
            return node["props"], next(a for a in reversed(chain) if a["props"].get("id") == f"{node['props']['id']}-box")
    raise AssertionError("no date range on the page")


@pytest.mark.parametrize("path", [f"/commune/{UNIT}", f"/commune/{UNIT}/sector/ho-tich", "/sector/ho-tich", "/ranking",
                                  f"/commune/{UNIT}/sector/ho-tich/procedure/2.001"])
def test_the_custom_period_has_a_date_range_control(client, path):
    picker, box = date_range(route(client, path, "?period=custom&from=2025-08-01&to=2025-08-31"))
    assert (picker["start_date"], picker["end_date"], picker["display_format"]) == ("2025-08-01", "2025-08-31",
                                                                                    "DD/MM/YYYY")
    assert box["props"]["hidden"] is False and box["props"]["role"] == "group"
    labels = {c["props"]["htmlFor"] for c in walk(box) if c.get("type") == "Label"}
    assert labels == {picker["start_date_id"], picker["end_date_id"]}  # each field has its own name
    page = route(client, path, "?period=7d&lang=en")
    picker, box = date_range(page)
    assert box["props"]["hidden"] is True and picker["display_format"] == "YYYY-MM-DD"
    today = local_day(now())
    assert (picker["start_date"], picker["end_date"]) == ((today - timedelta(days=6)).isoformat(), today.isoformat())
    period = next(c for c in walk(page) if c.get("type") == "Dropdown" and c["props"]["id"].endswith("-period"))
    assert "custom" in [o["value"] for o in period["props"]["options"]]  # choosable from a preset


def post(client, output: str, inputs: list[dict], state: list[dict]):
    """A callback request's response: {} when the callback changed nothing (no_update)."""
    key = next(k for k, spec in client.callbacks.items() if k.startswith(output)
               and [(i["id"], i["property"]) for i in spec["inputs"]] == [(i["id"], i["property"]) for i in inputs])
    name, prop = output.split("@")[0].rsplit(".", 1)
    response = client.post("/_dash-update-component", json={
        "output": key, "outputs": {"id": name, "property": prop}, "inputs": inputs, "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]})
    assert response.status_code in (200, 204), response.data[:500]
    return response.get_json()["response"] if response.status_code == 200 else {}


def test_the_date_range_shows_for_custom_and_writes_the_url(client):
    for page in ("ranking", "sector", "commune", "city-sector", "procedure"):
        shown = call(client, {"id": f"{page}-period-range-box", "property": "hidden"},
                     [{"id": f"{page}-period", "property": "value", "value": "custom"}])
        assert shown[f"{page}-period-range-box"]["hidden"] is False
        hidden = call(client, {"id": f"{page}-period-range-box", "property": "hidden"},
                      [{"id": f"{page}-period", "property": "value", "value": "month"}])
        assert hidden[f"{page}-period-range-box"]["hidden"] is True

    def pick(start, end, period="custom", search="?lang=en&cmp=prev"):
        return post(client, "url.search", [{"id": "ranking-period-range", "property": "start_date", "value": start},
                                           {"id": "ranking-period-range", "property": "end_date", "value": end}],
                    [{"id": "ranking-period", "property": "value", "value": period},
                     {"id": "url", "property": "search", "value": search}])

    assert pick("2025-08-01", "2025-08-31")["url"]["search"] == \
        "?lang=en&period=custom&cmp=prev&from=2025-08-01&to=2025-08-31"
    assert pick("2025-08-01T00:00:00", "2025-08-31")["url"]["search"].endswith("from=2025-08-01&to=2025-08-31")
    assert pick("2025-08-01", None) == {}  # the second day not chosen yet
    assert pick("2025-08-01", "2025-08-31", period="7d") == {}  # the range is hidden under a preset
    assert pick("2025-08-01", "2025-08-31", search="?period=custom&from=2025-08-01&to=2025-08-31") == {}
    # choosing «Tùy chọn» from a preset keeps the days being viewed in the URL (the range then shows them)
    chosen = call(client, {"id": "url", "property": "search"},
                  [{"id": "commune-period", "property": "value", "value": "custom"},
                   {"id": "commune-cmp", "property": "value", "value": "none"}],
                  [{"id": "url", "property": "search", "value": "?period=7d"}])
    today = local_day(now())
    assert chosen["url"]["search"] == f"?period=custom&from={today - timedelta(days=6)}&to={today}"


def test_going_back_to_a_custom_url_restores_the_range(client):
    redrawn = call(client, redraw_outputs(client, "commune-note"),
                   [{"id": "url", "property": "search", "value": "?period=custom&from=2025-08-01&to=2025-08-31"}],
                   [{"id": "commune-code", "property": "data", "value": UNIT}])
    assert redrawn["commune-period"]["value"] == "custom"
    assert (redrawn["commune-period-range"]["start_date"], redrawn["commune-period-range"]["end_date"]) == \
        ("2025-08-01", "2025-08-31")
