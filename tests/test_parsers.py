"""Property-based tests of every parser: whatever a source sends, no input crashes a pull; every row read
is stored or quarantined; personal data never survives scrubbing."""
from __future__ import annotations

import string
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import pipeline, privacy
from ingest.connectors.document_counts import count_rows, parse_body
from ingest.connectors.dossier_api import (PORTAL_FIELDS, STATUSES, page_records, portal_record_to_row,
                                          portal_records_to_rows)
from ingest.connectors.file_drop import UnreadableFile, read_csv
from ingest.connectors.mapping import parse_time, project
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


names = st.sampled_from(["Nguyễn Văn An", "Trần Thị Bích", "Lê Minh", "Phạm Quốc Dũng"])
phones = st.builds(lambda p, n, sep: p + sep.join([n[:3], n[3:6], n[6:]]), st.sampled_from(["0", "+84", "84"]),
                   st.from_regex(r"9[0-9]{8}", fullmatch=True), st.sampled_from(["", " ", ".", "-"]))
emails = st.from_regex(r"[a-z][a-z0-9.]{0,10}@[a-z]{2,8}\.(vn|com|gov\.vn)", fullmatch=True)
id_numbers = st.from_regex(r"0[0-9]{11}", fullmatch=True)


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
