"""Property-based tests of every parser: whatever a source sends, no input crashes a pull; every row read
is stored or quarantined; personal data never survives scrubbing."""
from __future__ import annotations

import string
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import pipeline, privacy
from ingest.connectors.document_counts import count_rows, parse_body
from ingest.connectors.dossier_api import (PORTAL_FIELDS, STATUSES, page_records, portal_record_to_row,
                                          portal_records_to_rows)
from ingest.connectors.file_drop import UnreadableFile, read_csv
from ingest.connectors.mapping import _column, compact_times, parse_time, project
from ingest.connectors.open311 import OPEN311_FIELDS, STATUSES as OPEN311_STATUSES, requests_to_rows
from ingest.contracts import RecordKind
from ingest.http import SourceError
from metrics.time import TZ
from tests.fault_server import portal_dossier, service_request

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                    st.sampled_from(["20250701080000", "2025-07-01T08:00:00+07:00", "01/07/2025 08:00", "1", "2",
                                     "9", "", " ", "online", "closed", "26506", "10.77", "2025-02-30"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)


def mutated(base: dict, keys) -> st.SearchStrategy:
    """A valid record with some fields replaced by anything, some dropped, some added."""
    return st.builds(lambda changes, dropped, extra: {**{k: v for k, v in base.items() if k not in dropped},
                                                      **changes, **extra},
                     st.dictionaries(st.sampled_from(sorted(keys)), json_values, max_size=4),
                     st.sets(st.sampled_from(sorted(keys)), max_size=3),
                     st.dictionaries(st.text(max_size=8), json_values, max_size=2))


def accounted(kind: RecordKind, rows: list) -> None:
    good, bad = pipeline.validate(kind, rows)
    assert len(good) + len(bad) == len(rows)
    assert all(isinstance(reason, str) and reason for _, reason in bad)


@SETTINGS
@given(st.lists(st.one_of(mutated(portal_dossier(1), PORTAL_FIELDS.values()), json_values), max_size=5))
def test_portal_records_never_crash_and_every_row_is_accounted_for(records):
    rows = [portal_record_to_row(r, PORTAL_FIELDS, STATUSES, TZ, origin="p") for r in records]
    accounted(RecordKind.dossier, rows)


def shown(rows: list[dict]) -> list:
    return [sorted(map(repr, row.items())) for row in rows]


@SETTINGS
@given(st.lists(mutated(portal_dossier(1), [*PORTAL_FIELDS.values(), "DanhSachHoSoBoSung", "DanhSachLePhi"]),
                max_size=6), st.booleans())
def test_a_portal_page_mapped_column_by_column_gives_the_rows_record_by_record(records, zoned):
    tz = TZ if zoned else None
    assert shown(portal_records_to_rows(records, PORTAL_FIELDS, STATUSES, tz, origin="p")) == \
        shown([portal_record_to_row(r, PORTAL_FIELDS, STATUSES, tz, origin="p") for r in records])


def test_codes_that_compare_equal_are_still_told_apart_by_type():
    """A page's codes are translated once per distinct code: 1 and True (equal as keys) are different codes."""
    records = [{**portal_dossier(i), "KenhThucHien": channel, "TrangThaiHoSo": status}
               for i, (channel, status) in enumerate([(1, 9), (True, True), ("1", "9"), (1.0, 9.0), (2, False)])]
    assert shown(portal_records_to_rows(records, PORTAL_FIELDS, STATUSES, TZ)) == \
        shown([portal_record_to_row(r, PORTAL_FIELDS, STATUSES, TZ) for r in records])


@SETTINGS
@given(json_values)
def test_a_portal_page_of_any_shape_is_records_or_the_sources_error(payload):
    try:
        records, total = page_records(payload, "data")
    except SourceError:
        return
    assert isinstance(records, list) and (total is None or isinstance(total, int))


@SETTINGS
@given(st.lists(st.one_of(mutated(service_request(1), OPEN311_FIELDS.values()), json_values), max_size=5))
def test_open311_requests_never_crash_and_every_row_is_accounted_for(records):
    rows = requests_to_rows(records, OPEN311_FIELDS, OPEN311_STATUSES, "phone", None, origin="w")
    accounted(RecordKind.ticket, rows)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/csv"]), st.sampled_from([None, "csv"]))
def test_document_count_bodies_are_records_or_the_sources_error(body, content_type, forced):
    try:
        records = parse_body(body, content_type, forced, "data")
    except SourceError:
        return
    accounted(RecordKind.document_count, count_rows(records, {}, {}, origin="d"))


@SETTINGS
@given(st.text(alphabet=string.printable + "đĐếàạ;,\"\n\r", max_size=300))
def test_any_csv_text_is_rows_or_an_unreadable_file(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_text(content, encoding="utf-8", newline="")
    try:
        header, rows = read_csv(path)
    except UnreadableFile:
        return
    for kind in RecordKind:
        accounted(kind, [project(r, kind, origin=f"f.csv:{line}") for line, r in rows])


@SETTINGS
@given(json_values, st.sampled_from([None, TZ]))
def test_parse_time_returns_an_aware_time_or_leaves_the_value_to_be_refused(value, tz):
    out = parse_time(value, tz)
    if tz is not None and out is not value and hasattr(out, "tzinfo"):
        assert out.tzinfo is not None


# yyyyMMddHHmmss with every part allowed to be out of range (30 February, hour 24, year 0000), near the offset
# changes of zones that have them, among other values a time column may hold.
compact = st.builds(lambda y, mo, d, h, mi, s: f"{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}",
                    st.one_of(st.integers(0, 9999), st.integers(2024, 2026)), st.integers(0, 13), st.integers(0, 32),
                    st.one_of(st.integers(0, 25), st.integers(0, 3)), st.integers(0, 60), st.integers(0, 60))
# Days on which the zones below change their offset (Paris: a gap and a repeated hour; São Paulo in 2018–19: at
# midnight; Lord Howe: by half an hour), at the hours around the change.
offset_changes = st.builds(lambda day, h, mi, s: f"{day}{h:02d}{mi:02d}{s:02d}",
                           st.sampled_from(["20250330", "20251026", "20181104", "20181103", "20190216", "20190217",
                                            "20250406", "20251005"]),
                           st.sampled_from([0, 1, 2, 3, 23]), st.integers(0, 59), st.integers(0, 59))
time_cells = st.one_of(compact, offset_changes, compact.map(lambda v: v[:-1]), compact.map(lambda v: f" {v}"),
                       compact.map(lambda v: v.replace("0", "\0", 1)), compact.map(lambda v: v.replace("1", "١")),
                       scalars)


@SETTINGS
@given(st.lists(time_cells, max_size=40),
       st.sampled_from([TZ, ZoneInfo("Europe/Paris"), ZoneInfo("America/Sao_Paulo"), ZoneInfo("Australia/Lord_Howe")]))
def test_a_column_of_compact_times_parsed_at_once_gives_what_parse_time_gives_one_at_a_time(values, tz):
    """compact_times (numpy, issue 3) takes the plain yyyyMMddHHmmss values and leaves the rest to parse_time;
    what it takes must be exactly what parse_time makes of it: the same wall time, zone and fold."""
    at_once = compact_times(values, tz)
    assert len(at_once) == len(values)
    for value, moment in zip(values, at_once):
        if moment is not None:
            expected = parse_time(value, tz)
            assert (repr(moment), moment.fold, moment.tzinfo) == (repr(expected), expected.fold, expected.tzinfo)
    assert compact_times(values, None) == [None] * len(values)  # naive times are parse_time's to leave as they are


def test_the_portals_usual_times_are_all_taken_by_the_column_parse():
    values = ["20250701080000", "20251231235959", "20250701080000", "20260228170000"]
    assert [m.isoformat() for m in compact_times(values, TZ)] == [
        "2025-07-01T08:00:00+07:00", "2025-12-31T23:59:59+07:00", "2025-07-01T08:00:00+07:00",
        "2026-02-28T17:00:00+07:00"]


def test_the_portals_usual_columns_are_taken_whole():
    """Issue 3: flags of 0/1, counts, and ids and text with nothing to strip skip the per-value loop (the property
    test above holds either way; this fails if the whole-column checks never take a column)."""
    ids = ["26833-250707-00147", "SO-TP-250711-00208"]
    assert _column(ids, "id", TZ) == (ids, False) and _column(ids, "id", TZ)[0] is ids
    assert _column(["Hộ tịch", "Xây dựng"], "text", TZ) == (["Hộ tịch", "Xây dựng"], False)
    assert _column([0, 1, 1], "bool", TZ) == ([False, True, True], False)
    assert _column([0, 3], "int", TZ) == ([0, 3], False)
    assert _column([" x", "y"], "text", TZ) == (["x", "y"], True)  # a value to strip: the per-value path
    assert _column([1, 2], "bool", TZ)[1] and _column([True, 0], "bool", TZ)[1]


names = st.sampled_from(["Nguyễn Văn An", "Trần Thị Bích", "Lê Minh", "Phạm Quốc Dũng"])
phones = st.builds(lambda p, n, sep: p + sep.join([n[:3], n[3:6], n[6:]]), st.sampled_from(["0", "+84", "84"]),
                   st.from_regex(r"9[0-9]{8}", fullmatch=True), st.sampled_from(["", " ", ".", "-"]))
emails = st.from_regex(r"[a-z][a-z0-9.]{0,10}@[a-z]{2,8}\.(vn|com|gov\.vn)", fullmatch=True)
id_numbers = st.from_regex(r"0[0-9]{11}", fullmatch=True)


@SETTINGS
@given(st.lists(st.one_of(st.fixed_dictionaries({}, optional={
    "procedure_name": st.one_of(st.sampled_from(["Đăng ký khai sinh", "Cấp phép xây dựng"]), json_values,
                                st.builds(lambda n: f"Hồ sơ của ông {n}", names)),
    "sector": st.one_of(st.sampled_from(["Hộ tịch", "Xây dựng"]), json_values),
    "category": st.one_of(st.builds(lambda p: f"gọi {p}", st.just("0903 123 456")), st.text(max_size=10))}),
    json_values), max_size=8))
def test_a_batch_is_scrubbed_as_its_rows_are_one_by_one(rows):
    assert privacy.scrub_rows(rows) == [privacy.scrub_row(row) for row in rows]


@SETTINGS
@given(st.text(max_size=20), st.sampled_from(["ông", "bà", "anh", "chị", "họ tên:"]), names, phones, emails,
       id_numbers, st.text(max_size=20))
def test_scrubbed_free_text_keeps_no_name_phone_email_or_id_number(before, title, name, phone, email, id_number, after):
    text = f"{before} {title} {name}, ĐT {phone}, {email}, CCCD {id_number} {after}"
    clean = privacy.scrub_text(text)
    for secret in (name, phone, email, id_number):
        assert secret not in clean
    assert privacy.scrub_text(clean) == clean


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(mutated(portal_dossier(1), PORTAL_FIELDS.values()), json_values), max_size=6))
def test_a_whole_pull_of_arbitrary_portal_records_never_crashes(sqlite_url, records):
    """Through a real HTTP server into a real store: the pull ends ok and counts every row."""
    from ingest.sources import SourceConfig
    from store.db import engine_for
    from tests.conftest import at
    from tests.fault_server import FaultServer

    with FaultServer([r for r in records if isinstance(r, dict)] + [portal_dossier(99)]) as server:
        source = SourceConfig("fuzz", "dossier_api", timedelta(minutes=5), timedelta(minutes=15),
                              {"url": server.url + "/portal/dossiers", "start": "2025-06-30", "retries": 0})
        result = pipeline.pull(engine_for(sqlite_url), source, until=at("2025-07-10 00:00"),
                               replay_from=at("2025-06-30 00:00"))
    assert result.status == "ok", result.error
    assert result.rows_read >= 1 and result.rows_stored + result.rows_quarantined <= result.rows_read
