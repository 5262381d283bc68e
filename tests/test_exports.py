"""The exports read back: XLSX with openpyxl, the PDF's text and pages with pypdf, the CSV as text; their
numbers equal the KPI layer's; demo data marked in each; the PNG drawn offline."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import UnknownFormat, exporter, formats
from exports.document import DEMO_MARK, HEADLINE, value_text
from metrics.frame import CITY, commune_series, kpi_frame
from metrics.kpis import CATALOGUE
from metrics.units import commune_table
from snapshots import store
from snapshots.scope import parse_scope
from store.db import engine_for
from tests.snapshot_store import COMMUNE, PERIOD, seeded_file, seeded_url  # noqa: F401


@pytest.fixture(scope="module")
def city(seeded_file):
    engine = engine_for(f"sqlite:///{seeded_file}")
    info = store.create(engine, parse_scope(engine, "city"), *PERIOD)
    return engine, info, kpi_frame(engine, *PERIOD)


def test_registry_has_every_format_and_refuses_others():
    assert set(formats()) == {"csv", "xlsx", "pdf", "png", "json"}
    for bad in ("exe", "../csv", "CSV", ""):
        with pytest.raises(UnknownFormat):
            exporter(bad)


def test_csv_has_a_bom_and_the_kpi_layers_numbers(city):
    engine, info, frame = city
    content, _ = store.file(engine, info.id, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    city_rows = {r["Mã chỉ số"]: r for r in rows if r["Mã đơn vị"] == CITY}
    assert set(city_rows) == set(CATALOGUE)
    for kpi_id, r in city_rows.items():
        expected = frame.at[CITY, kpi_id]
        assert (r["Giá trị"] == "") if expected != expected else float(r["Giá trị"]) == pytest.approx(expected,
                                                                                                         rel=1e-12)
    commune = {r["Mã chỉ số"]: r for r in rows if r["Mã đơn vị"] == COMMUNE}
    assert float(commune["dossiers_received"]["Giá trị"]) == frame.at[COMMUNE, "dossiers_received"]
    assert len(rows) == len(CATALOGUE) * (1 + 168 + 15)
    assert all(r["Ghi chú"] == DEMO_MARK and r["Mã ảnh chụp"] == info.id for r in rows)
    assert "Tỷ lệ giải quyết đúng hạn" in content.decode("utf-8-sig")


def test_xlsx_opened_with_openpyxl_equals_the_kpi_layer(city):
    engine, info, frame = city
    content, _ = store.file(engine, info.id, "xlsx")
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["Thông tin", "Chỉ số", "Xã, phường", "Sở, ngành", "Mục tiêu KH 02", "Điểm QĐ 766",
                             "Nguồn và định nghĩa"]
    for ws in wb.worksheets:  # demo data says so on every sheet, with the snapshot id
        assert DEMO_MARK in ws["A1"].value and info.id in ws["A1"].value
    ws = wb["Chỉ số"]
    assert [c.value for c in ws[2]] == ["Mã chỉ số", "Chỉ số", "Giá trị", "Đơn vị tính", "Tính theo", "Nguồn"]
    seen = {}
    for row in ws.iter_rows(min_row=3):
        seen[row[0].value] = row[2]
    assert set(seen) == set(CATALOGUE)
    for kpi_id, c in seen.items():
        expected = frame.at[CITY, kpi_id]
        assert c.value is None if expected != expected else c.value == pytest.approx(expected, rel=1e-12)
        assert c.number_format == ('0.0" %"' if CATALOGUE[kpi_id].unit == "percent" else
                                   "0.0" if CATALOGUE[kpi_id].unit == "working_days" else "#,##0")
    communes = wb["Xã, phường"]
    headers = [c.value for c in communes[2]]
    on_time = headers.index(CATALOGUE["on_time_rate"].name_vi)
    received = headers.index(CATALOGUE["dossiers_received"].name_vi)
    values = {r[0].value: r for r in communes.iter_rows(min_row=3)}
    assert set(values) == set(commune_table(engine).index)
    for code, r in values.items():
        assert r[received].value == (None if frame.at[code, "dossiers_received"] != frame.at[code, "dossiers_received"]
                                     else pytest.approx(frame.at[code, "dossiers_received"]))
    assert values[COMMUNE][on_time].value == pytest.approx(frame.at[COMMUNE, "on_time_rate"], rel=1e-12)
    sources = wb["Nguồn và định nghĩa"]
    text = " ".join(str(c.value) for row in sources.iter_rows() for c in row if c.value)
    assert "QĐ 1565/QĐ-TTg" in text and CATALOGUE["on_time_rate"].definition_vi in text
    targets = [r[0].value for r in wb["Mục tiêu KH 02"].iter_rows(min_row=3) if r[0].value]
    assert "P02-5" in targets


def test_pdf_text_and_pages_read_back(city):
    engine, info, frame = city
    content, _ = store.file(engine, info.id, "pdf")
    reader = PdfReader(io.BytesIO(content))
    assert 1 <= len(reader.pages) <= 3
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    text = " ".join(pages)
    for page in pages:  # every page: demo mark, snapshot id, "as of" in the footer
        assert DEMO_MARK in page and info.id in page and "Dữ liệu đến" in page and "Nguồn dữ liệu: demo" in page
    for kpi_id in HEADLINE:  # the tiles, as the KPI layer says, formatted as on the pages
        assert value_text(frame.at[CITY, kpi_id], CATALOGUE[kpi_id].unit) in pages[0]
    assert "P02-5" in text and "QĐ 766/QĐ-TTg" in text
    assert CATALOGUE["full_online_share"].name_vi in text


def test_png_of_the_map_is_drawn_offline(city):
    engine, info, _ = city
    content, _ = store.file(engine, info.id, "png")
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 20_000


def test_kaleido_page_loads_nothing_from_the_network():
    from kaleido._page_generator import PageGenerator

    from exports.png import KALEIDO_OPTIONS, TOPOJSON

    page = PageGenerator(mathjax=KALEIDO_OPTIONS["mathjax"]).generate_index()
    assert "http://" not in page and "https://" not in page and "file://" in page
    assert TOPOJSON.startswith("file://")


def test_commune_snapshot_has_its_own_row(seeded_url):  # noqa: F811
    engine = engine_for(seeded_url)
    info = store.create(engine, parse_scope(engine, f"commune:{COMMUNE}"), *PERIOD)
    frame = kpi_frame(engine, *PERIOD)
    payload = store.payload(engine, info.id)
    assert payload["units"] == [] and payload["scope"]["code"] == COMMUNE
    assert {k["id"]: k["value"] for k in payload["kpis"]}["dossiers_received"] == frame.at[COMMUNE,
                                                                                         "dossiers_received"]
    wb = load_workbook(io.BytesIO(store.file(engine, info.id, "xlsx")[0]))
    assert "Xã, phường" not in wb.sheetnames and payload["scope"]["name_vi"] in wb["Chỉ số"]["A1"].value
    series = commune_series(engine, COMMUNE, *PERIOD)  # the drill-down's charts, as tables
    rows = list(wb["Hồ sơ theo ngày"].iter_rows(min_row=3, values_only=True))
    assert [(d.date(), a, b, c) for d, a, b, c in rows] == list(series["dossiers"].itertuples(index=False, name=None))
    documents = list(wb["Văn bản theo ngày"].iter_rows(min_row=3, values_only=True))
    assert sum(r[2] for r in documents) == series["documents"]["total"].sum() > 0
    assert {r[1] for r in documents} == {"Đến", "Đi"}


def test_images_from_many_threads_each_get_their_own():
    """One Chromium is kept per process (exports/png.py) and a web worker's threads share it: images asked
    for at once must each come back as asked, as they do one after another."""
    import threading

    from exports import png

    figures = [{"data": [{"type": "bar", "x": ["a", "b"], "y": [n, 10 - n]}], "layout": {"title": {"text": str(n)}}}
               for n in range(1, 5)]
    alone = [png.figure_png(f, width=300, height=200) for f in figures]
    assert len(set(alone)) == len(figures)
    together = [None] * len(figures)

    def draw(i):
        together[i] = png.figure_png(figures[i], width=300, height=200)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(len(figures))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert together == alone
