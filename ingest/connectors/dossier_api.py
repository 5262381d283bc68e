"""`dossier_api`: the portal's dossier sync feed, JSON over HTTP, incremental by update time, paged.

The national public-service portal's sync records use Vietnamese field names; they are mapped to the
Dossier contract (PORTAL_FIELDS, each overridable with the entry's `fields`). Its times are local
(Asia/Ho_Chi_Minh) and often written yyyyMMddHHmmss: naive times are read in the entry's `timezone`,
which defaults to the city's. Fields a portal record carries about the applicant (ChuHoSo,
SoDienThoai, Email, SoCMND ...) are never mapped, so never stored.

    - name: portal
      kind: dossier_api
      every: 5m
      url: https://portal.example/api/hoso/dongbo
      auth: {type: bearer, token_env: PORTAL_TOKEN}
      page_size: 500
      params: {updated_from: TuNgay, updated_to: DenNgay, page: page, page_size: page_size}
      time_format: compact          # how the window is written in the query: compact | iso
      records_key: data             # where the page's list sits (a bare list also works)
      overlap: 5m                   # re-read before the watermark: a record committed upstream late
      start: 2025-07-01             # the first pull's beginning
      status_map: {11: rejected}    # extra or different TrangThaiHoSo codes
      prepare_in_subprocess: true   # default: when the window is longer than 31 days

Paging is by page number within a window whose end is fixed when the pull starts. A record updated
upstream during the pull leaves that window (its new version is read by the next pull), and every
record after it moves up one place, so the first record of the next page would be skipped. Where the
page says how many records the window holds (`total`), a drop in that number steps back as many pages
as it takes to read the moved records again (read twice is harmless: the upsert keeps the newer).

A backfill prepared by several processes (ingest.pipeline) cuts its window into slices, each taken by the next
process free (`pull_part`); each slice after the first begins `overlap` early, as a pull does after its watermark,
and the rows it re-reads up to its edge come in a batch of their own, marked `may_repeat` (written last).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from operator import itemgetter
from typing import Callable, Iterator

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import MISSING, first_moment, project, project_columns, seconds_option, zone
from ingest.contracts import RecordKind
from ingest.http import HttpSource, SourceError
from metrics.time import TZ

PORTAL_FIELDS = {
    "dossier_id": "MaHoSo",
    "unit_code": "MaDonVi",
    "procedure_code": "MaTTHC",
    "procedure_name": "TenTTHC",
    "sector": "TenLinhVuc",
    "channel": "KenhThucHien",
    "full_process_online": "ToanTrinh",
    "received_at": "NgayTiepNhan",
    "due_at": "NgayHenTra",
    "completed_at": "NgayKetThucXuLy",
    "status": "TrangThaiHoSo",
    "supplement_requests": "SoLanBoSung",
    "fee_bearing": "CoPhi",
    "paid_online": "ThanhToanTrucTuyen",
    "e_result": "KetQuaDienTu",
    "digitised": "SoHoa",
    "data_reused": "TaiSuDungDuLieu",
    "accepted_late": "TiepNhanMuon",
    "updated_at": "NgayCapNhat",
}
CHANNELS = {"1": "direct", "2": "online", "3": "postal"}  # KenhThucHien
# TrangThaiHoSo: 1 new, 2 received, 3 not accepted, 4 processing, 5 supplement requested, 6 awaiting fees,
# 7 withdrawn at the applicant's request, 8 processing stopped, 9 processed, 10 result returned.
STATUSES = {"1": "received", "2": "received", "3": "rejected", "4": "received", "5": "supplement_requested",
            "6": "received", "7": "withdrawn", "8": "rejected", "9": "completed", "10": "returned"}
DEFAULT_PARAMS = {"updated_from": "updated_from", "updated_to": "updated_to", "page": "page", "page_size": "page_size"}


def _code(value) -> str | None:
    if value.__class__ is int:  # the portal's usual form
        return str(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def portal_record_to_row(record, fields: dict[str, str], statuses: dict[str, str], tz, origin: str | None = None):
    """A portal sync record as a Dossier-shaped row (codes translated, applicant fields left behind)."""
    if not isinstance(record, dict):
        return project(record, RecordKind.dossier, origin=origin)
    row = {field: record[upstream] for field, upstream in fields.items() if upstream in record}
    if "channel" in row:
        code = _code(row["channel"])
        row["channel"] = CHANNELS.get(code, row["channel"])  # "online" as such passes too
    if "status" in row:
        row["status"] = _status(row["status"], statuses)
    if "supplement_requests" not in row and isinstance(record.get("DanhSachHoSoBoSung"), list):
        row["supplement_requests"] = len(record["DanhSachHoSoBoSung"])
    if "fee_bearing" not in row and isinstance(record.get("DanhSachLePhi"), list):
        row["fee_bearing"] = bool(record["DanhSachLePhi"])
    return project(row, RecordKind.dossier, tz=tz, origin=origin)


def portal_records_to_rows(records: list, fields: dict[str, str], statuses: dict[str, str], tz,
                           origin: str | None = None) -> list[dict]:
    """`portal_record_to_row` for a whole page, column by column (the same rows, a fraction of the time)."""
    if not all(r.__class__ is dict for r in records):
        return [portal_record_to_row(r, fields, statuses, tz, origin=origin) for r in records]
    columns = {field: values for field, upstream in fields.items()
               if (values := _field_values(records, upstream)) is not None}
    if "channel" in columns:
        columns["channel"] = _translated(columns["channel"], lambda v: CHANNELS.get(_code(v), v))
    if "status" in columns:
        columns["status"] = _translated(columns["status"], lambda v: _status(v, statuses))
    for field, upstream, value_of in (("supplement_requests", "DanhSachHoSoBoSung", len),
                                      ("fee_bearing", "DanhSachLePhi", bool)):
        values = columns.get(field) or [MISSING] * len(records)
        if MISSING in values and any(isinstance(r.get(upstream), list) for r in records):
            columns[field] = [value_of(r[upstream]) if v is MISSING and isinstance(r.get(upstream), list) else v
                              for v, r in zip(values, records)]
    return project_columns(columns, len(records), RecordKind.dossier, tz=tz, origin=origin)


def _translated(values: list, translate) -> list:
    """`translate` applied to a column of codes, once per distinct code (a page holds a handful); MISSING stays.
    Keyed by type too: 1 and True are equal keys, yet different codes."""
    try:
        keys = list(zip(map(type, values), values))
        table = {key: key[1] if key[1] is MISSING else translate(key[1]) for key in set(keys)}
    except TypeError:  # an unhashable value (a list where a code belongs): one at a time
        return [v if v is MISSING else translate(v) for v in values]
    return list(map(table.__getitem__, keys))


def _field_values(records: list[dict], key: str) -> list | None:
    """The records' values of `key`, MISSING where a record has none; None where none has it."""
    try:
        return list(map(itemgetter(key), records))  # every record has it: the loop in C
    except KeyError:
        values = [r.get(key, MISSING) for r in records]
        # `count` compares in C (identity first): far cheaper than a generator over every value
        return None if values.count(MISSING) == len(values) else values


def _status(value, statuses: dict[str, str]):
    code = _code(value)
    return statuses.get(code, f"TrangThaiHoSo={code}" if code and code.isdigit() else value)


def format_time(moment: datetime, style: str) -> str:
    local = moment.astimezone(TZ)
    return local.strftime("%Y%m%d%H%M%S") if style == "compact" else local.isoformat()


def page_records(payload, records_key: str):
    """(records, total_pages or None) of one page; a page of another shape is the source's error."""
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, dict):
        records = payload.get(records_key)
        if isinstance(records, list):
            total = payload.get("total_pages", payload.get("TotalPages"))
            return records, total if isinstance(total, int) and not isinstance(total, bool) else None
    raise SourceError(f"a page without a list under {records_key!r} (got {type(payload).__name__})")


def window_total(payload) -> int | None:
    """How many records the whole window holds, where the page says (`total`, or `TotalRecords`)."""
    if isinstance(payload, dict):
        total = payload.get("total", payload.get("TotalRecords"))
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            return total
    return None


# A window longer than this (a backfill, a catch-up after an outage) is prepared in a second process:
# fetching, mapping and validating cost more than writing, and the process costs ~2 s to start.
SUBPROCESS_WINDOW = timedelta(days=31)
# A window prepared by several processes is cut into this many slices per process, each taken by the next
# process free (issue 3: dealt out in turn, a million demo dossiers came as slices of 0 to 112,000 and one part
# ended ~3 s after the other, the writer alone meanwhile).
SLICES_PER_PART = 16


@register
class DossierApiConnector(Connector):
    kind = "dossier_api"
    prepare_in_subprocess = True

    def __init__(self, source):
        super().__init__(source)
        o = source.options
        if not o.get("url"):
            raise ValueError(f"source {source.name!r}: `url` is required")
        self.fields = {**PORTAL_FIELDS, **{str(k): str(v) for k, v in (o.get("fields") or {}).items()}}
        unknown = set(self.fields) - set(PORTAL_FIELDS)
        if unknown:
            raise ValueError(f"source {source.name!r}: `fields` names no dossier field {sorted(unknown)}")
        self.statuses = {**STATUSES, **{str(k): str(v) for k, v in (o.get("status_map") or {}).items()}}
        self.params = {**DEFAULT_PARAMS, **(o.get("params") or {})}
        self.page_size = int(o.get("page_size", 500))
        self.tz = zone(o.get("timezone", "Asia/Ho_Chi_Minh"))
        self.time_format = str(o.get("time_format", "compact"))
        self.records_key = str(o.get("records_key", "data"))
        self.overlap = timedelta(seconds=seconds_option(o, "overlap", "5m"))

    def _start(self, since: datetime | None) -> datetime:
        return first_moment(self.source.options) if since is None else since - self.overlap

    def worth_a_subprocess(self, since: datetime | None, until: datetime) -> bool:
        choice = self.source.options.get("prepare_in_subprocess")
        return bool(choice) if choice is not None else until - self._start(since) > SUBPROCESS_WINDOW

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        return self._pull_window(self._start(since), until)

    def pull_part(self, since: datetime | None, until: datetime, part: int, parts: int,
                  claim: Callable[[], int] | None = None) -> Iterator[Batch]:
        """Slices of the window (SLICES_PER_PART × parts consecutive windows), each after the first beginning
        `overlap` early, as a pull does. With `claim`, each part takes the next slice not yet taken, and its
        progress is that of the whole pull (slices before this one taken); without, every `parts`-th slice
        (interleaved, so the parts stay near even as the volume grows over time)."""
        if parts <= 1:
            yield from self.pull(since, until)
            return
        start = self._start(since)
        count = SLICES_PER_PART * parts
        seconds = (until - start).total_seconds()
        edges = [start + timedelta(seconds=round(seconds * i / count)) for i in range(count)] + [until]
        dealt = range(part, count, parts)
        for done, i in enumerate(iter(claim, None) if claim is not None else dealt):
            if i >= count:
                return
            low, high = edges[i] - (self.overlap if i else timedelta(0)), edges[i + 1]
            for batch in self._pull_window(low, high):
                batch.progress = ((i + batch.progress) / count if claim is not None
                                  else (done + batch.progress) / len(dealt))
                if i and self.overlap:
                    yield from _overlap_apart(batch, edges[i])
                else:
                    yield batch

    def _pull_window(self, start: datetime, until: datetime) -> Iterator[Batch]:
        http = HttpSource(self.source.name, self.source.options)
        try:
            page, held = 1, None
            while True:
                query = {self.params["updated_from"]: format_time(start, self.time_format),
                         self.params["updated_to"]: format_time(until, self.time_format),
                         self.params["page"]: page, self.params["page_size"]: self.page_size}
                payload = http.get_json(self.source.options["url"], query)
                records, total = page_records(payload, self.records_key)
                origin = f"page {page}"
                rows = portal_records_to_rows(records, self.fields, self.statuses, self.tz, origin=origin)
                last = len(records) < self.page_size or (total is not None and page >= total)
                yield Batch(RecordKind.dossier, rows, 1.0 if last else (page / total if total else 1 - 1 / (page + 1)))
                now_held, page = window_total(payload), page + 1
                if held is not None and now_held is not None and now_held < held:
                    # read the moved records again: they sit up to (held - now_held) places before this page
                    page, last = max(page - 1 - -(-(held - now_held) // self.page_size), 1), False
                held = now_held
                if last:
                    return
        finally:
            http.close()


def _overlap_apart(batch: Batch, edge: datetime) -> Iterator[Batch]:
    """The rows a slice re-reads up to its edge (the other part's slice holds them too) in a batch of their own,
    marked `may_repeat`; the rest stays insertable as new (issue 3: on PostgreSQL a whole page undone for a few
    repeated ids cost ~0.3 s a slice edge)."""
    repeated = [isinstance(row.get("updated_at"), datetime) and row["updated_at"] <= edge for row in batch.rows]
    if not any(repeated):
        yield batch
        return
    yield Batch(batch.kind, [row for row, again in zip(batch.rows, repeated) if again], batch.progress,
                may_repeat=True)
    yield Batch(batch.kind, [row for row, again in zip(batch.rows, repeated) if not again], batch.progress)
