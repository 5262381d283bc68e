"""The drill-down (commune → sector → procedure), the ranking, Plan 02 and Decision 766 pages over HTTP: what the
router renders from a URL, the cross-filter a click on a sector writes, the redraw from the query string."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import numpy as np
import pytest

from app import create_app
from ingest import pipeline
from metrics.time import local_day, now
from tests.conftest import at, signed_in_client, test_settings
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
    outputs = [{"id": i, "property": "figure" if i in ("commune-dossiers", "commune-tickets", "commune-documents",
                                                        "commune-sectors") else "children"}
               for i in ("commune-note", "commune-tiles", "commune-dossiers", "commune-tickets", "commune-documents",
                         "commune-sectors", "commune-sector-table", "commune-filter", "commune-procedures")]
    outputs += [{"id": "commune-period", "property": "value"}, {"id": "commune-cmp", "property": "value"}]
    redrawn = call(client, outputs, [{"id": "url", "property": "search", "value": "?sector=ho-tich&cmp=prev"}],
                   [{"id": "commune-code", "property": "data", "value": UNIT}])
    procedures = text_of(redrawn["commune-procedures"])
    assert "Đăng ký khai sinh" in procedures and "Chứng thực bản sao" not in procedures
    daily = redrawn["commune-dossiers"]["figure"]
    assert "Hộ tịch" in daily["layout"]["title"]["text"]
    assert sum(values(daily["data"][0]["y"])) == 2  # Hộ tịch's two receipts, not the commune's four
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
