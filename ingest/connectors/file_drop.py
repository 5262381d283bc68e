"""`file_drop`: CSV or XLSX files dropped in a folder, for any record kind.

Headers are the contract's field names, or upstream names mapped with `fields`. Each file is read
whole (a file that cannot be read stores nothing), stored in batches, and only once its last batch
has committed moved to `done/` with a report beside it (`<name>.report.json`: rows, stored,
quarantined with line numbers and reasons). A file that cannot be read, or lacks a required column,
moves to `failed/` with its report and stores nothing. A pull killed before the move reads the file
again next time: the upserts make that harmless. Files younger than `settle` may still be being
copied and wait for the next pull. Rows without an update time take the file's modification time:
a corrected file dropped later replaces what an earlier one said.

    - name: district-returns
      kind: file_drop
      every: 1m
      path: /srv/ioc/drop/dossiers
      record_kind: dossier          # dossier | ticket | document_count
      fields: {dossier_id: "Mã hồ sơ", received_at: "Ngày tiếp nhận"}
      timezone: Asia/Ho_Chi_Minh    # for times written without a zone (spreadsheets never have one)
      settle: 5s
"""
from __future__ import annotations

import csv
import io
import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import (ORIGIN, mapping_option, project, record_kind_option, required_fields,
                                       seconds_option, zone)
from ingest.contracts import RecordKind

log = logging.getLogger(__name__)
SUFFIXES = {".csv", ".xlsx"}
BATCH_ROWS = 5000
REPORT_SAMPLE = 1000  # quarantined rows listed in a report (all are in the quarantine table)


class UnreadableFile(Exception):
    pass


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 text: {exc}") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t", "|"), key=first.count)  # the one the header uses most
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, restkey="_extra")
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise UnreadableFile(f"CSV: {exc}") from None
    return header, rows


def read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[tuple[int, dict]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a damaged or foreign file
        raise UnreadableFile(f"XLSX: {type(exc).__name__}: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise UnreadableFile(f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        lines = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(lines, ())]
        rows = []
        for number, values in enumerate(lines, start=2):
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # spreadsheets carry formatted empty rows
            rows.append((number, {h: v for h, v in zip(header, values) if h}))
        return header, rows
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFile(f"XLSX: {type(exc).__name__}: {exc}") from None
    finally:
        book.close()


@dataclass
class FileReport:
    file: str
    source: str
    record_kind: str
    rows: int = 0
    stored: int = 0
    quarantined: int = 0
    quarantined_rows: list = field(default_factory=list)
    error: str | None = None

    def add(self, stored: int, rejected: list) -> None:
        self.stored += stored
        self.quarantined += len(rejected)
        for raw, reason in rejected[: max(REPORT_SAMPLE - len(self.quarantined_rows), 0)]:
            where = raw.get(ORIGIN) if isinstance(raw, dict) else None
            self.quarantined_rows.append({"line": where, "reason": reason})


def _move_with_report(path: Path, folder: Path, report: FileReport) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():  # the same name dropped again: keep both
        target = folder / f"{path.stem}.{datetime.now().strftime('%Y%m%dT%H%M%S%f')}{path.suffix}"
    shutil.move(str(path), target)
    body = {**report.__dict__, "moved_to": str(target), "finished_at": datetime.now(timezone.utc).isoformat()}
    target.with_name(target.name + ".report.json").write_text(json.dumps(body, ensure_ascii=False, indent=2),
                                                              encoding="utf-8")
    return target


@register
class FileDropConnector(Connector):
    kind = "file_drop"

    def __init__(self, source):
        super().__init__(source)
        o = source.options
        if not o.get("path"):
            raise ValueError(f"source {source.name!r}: `path` (the drop folder) is required")
        self.folder = Path(str(o["path"]))
        self.record_kind = record_kind_option(o, source.name)
        self.fields = mapping_option(o, self.record_kind, source.name)
        self.tz = zone(o.get("timezone"))
        self.settle = seconds_option(o, "settle", "5s")
        self.sheet = o.get("sheet")
        self.batch_rows = int(o.get("batch_rows", BATCH_ROWS))

    def waiting_files(self) -> list[Path]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"source {self.source.name!r}: drop folder {self.folder} does not exist")
        now = datetime.now().timestamp()
        files = [p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                 and not p.name.startswith((".", "~$")) and now - p.stat().st_mtime >= self.settle]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def _rows(self, path: Path) -> list[dict]:
        header, lines = read_xlsx(path, self.sheet) if path.suffix.lower() == ".xlsx" else read_csv(path)
        needed = required_fields(self.record_kind) - {"updated_at"}
        missing = sorted(f"{self.fields.get(f, f)}" for f in needed if self.fields.get(f, f) not in header)
        if missing:
            raise UnreadableFile(f"missing column(s) {', '.join(missing)} (header: {', '.join(header) or 'none'})")
        version = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        rows = [project(raw, self.record_kind, self.fields, self.tz, origin=f"{path.name}:{line}")
                for line, raw in lines]
        if self.record_kind is not RecordKind.document_count:
            for row in rows:
                row.setdefault("updated_at", version)
        if self.record_kind is RecordKind.ticket:
            from ingest.connectors.open311 import place_tickets

            place_tickets(rows)
        return rows

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        files = self.waiting_files()
        for n, path in enumerate(files):
            report = FileReport(path.name, self.source.name, self.record_kind.value)
            try:
                rows = self._rows(path)
            except (UnreadableFile, OSError) as exc:
                report.error = str(exc)
                moved = _move_with_report(path, self.folder / "failed", report)
                log.warning("%s: %s moved to %s: %s", self.source.name, path.name, moved.parent, exc)
                continue
            report.rows = len(rows)
            chunks = [rows[i:i + self.batch_rows] for i in range(0, len(rows), self.batch_rows)] or [[]]
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1

                def committed(stored, rejected, last=last, path=path, report=report):
                    report.add(stored, rejected)
                    if last:  # every row of the file is stored or quarantined: it may leave the folder
                        _move_with_report(path, self.folder / "done", report)

                yield Batch(self.record_kind, chunk, (n + (i + 1) / len(chunks)) / len(files), committed)
