"""A real HTTP server on 127.0.0.1 that serves a portal dossier feed and an Open311 feed from records the
test gives it, and injects faults on chosen requests: 500s, timeouts, a connection dropped mid-body,
malformed JSON, 401s. Tests use it to check that no upstream fault loses, duplicates or invents a record."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from ingest.connectors.mapping import parse_time
from metrics.time import TZ

FAULTS = ("500", "timeout", "drop", "malformed", "401", "ok")


class FaultServer:
    """`portal`: portal sync records (NgayCapNhat in yyyyMMddHHmmss); `open311`: service requests.

    `faults` is a queue: each request takes the next fault ('ok' = none) until it is empty.
    `delay` slows every answer (seconds), `timeout_delay` is how long a 'timeout' answer waits.
    """

    def __init__(self, portal: list[dict] | None = None, open311: list[dict] | None = None,
                 max_records: int = 1000):
        self.portal = list(portal or [])
        self.open311 = list(open311 or [])
        self.max_records = max_records
        self.faults: deque[str] = deque()
        self.delay = 0.0
        self.timeout_delay = 2.0
        self.requests: list[str] = []
        self.token: str | None = None
        self.on_page = None  # called with each portal page number before it is answered (changes mid-pull)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                try:
                    owner._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a 'timeout' fault): nothing to answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, *faults: str) -> None:
        assert all(f in FAULTS for f in faults)
        self.faults.extend(faults)

    # ------------------------------------------------------------------ answers

    def _portal_page(self, query: dict) -> dict:
        if self.on_page:
            self.on_page(int(query.get("page", 1)))
        since = parse_time(query.get("updated_from"), TZ) if query.get("updated_from") else None
        until = parse_time(query.get("updated_to"), TZ) if query.get("updated_to") else None

        def stamp(r):
            value = parse_time(r.get("NgayCapNhat"), TZ)
            return value if isinstance(value, datetime) else None

        held = [r for r in self.portal if (s := stamp(r)) is None
                or ((since is None or s > since) and (until is None or s <= until))]
        held.sort(key=lambda r: (str(r.get("NgayCapNhat")), str(r.get("MaHoSo"))))
        page, size = int(query.get("page", 1)), int(query.get("page_size", 100))
        total_pages = max((len(held) + size - 1) // size, 1)
        return {"data": held[(page - 1) * size: page * size], "page": page, "total_pages": total_pages,
                "total": len(held)}

    def _open311(self, query: dict) -> list:
        start, end = parse_time(query["start_date"], TZ), parse_time(query["end_date"], TZ)
        if (end - start).days > 90:
            return None
        held = [r for r in self.open311 if start <= parse_time(r["requested_datetime"], TZ) <= end]
        held.sort(key=lambda r: r["requested_datetime"])
        return held[: self.max_records]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append(handler.path)
            fault = self.faults.popleft() if self.faults else "ok"
        if self.delay:
            time.sleep(self.delay)
        if fault == "timeout":
            time.sleep(self.timeout_delay)
        if fault == "500":
            return self._send(handler, 500, b'{"error": "internal"}')
        if fault == "401" or (self.token and handler.headers.get("Authorization") != f"Bearer {self.token}"):
            return self._send(handler, 401, b'{"error": "unauthorized"}')
        if url.path == "/portal/dossiers":
            body = json.dumps(self._portal_page(query), ensure_ascii=False).encode()
        elif url.path == "/open311/v2/requests.json":
            answer = self._open311(query)
            if answer is None:
                return self._send(handler, 400, b'[{"code": 400, "description": "more than 90 days"}]')
            body = json.dumps(answer, ensure_ascii=False).encode()
        else:
            return self._send(handler, 404, b"{}")
        if fault == "malformed":
            body = body[: len(body) // 2] + b"<html>proxy error</html>"
        if fault == "drop":  # promise the whole body, send half, hang up
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        self._send(handler, 200, body)

    @staticmethod
    def _send(handler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def portal_dossier(n: int, updated: str = "20250705120000", **changes) -> dict:
    """A valid portal sync record, with made-up applicant fields the connector must leave behind."""
    record = {
        "MaHoSo": f"H{n:05d}", "MaDonVi": "26506", "MaTTHC": "1.001", "TenTTHC": "Chứng thực bản sao",
        "TenLinhVuc": "Chứng thực", "KenhThucHien": 2, "ToanTrinh": 1, "NgayTiepNhan": "20250701080000",
        "NgayHenTra": "20250703170000", "NgayKetThucXuLy": "", "TrangThaiHoSo": 4, "SoLanBoSung": 0,
        "NgayCapNhat": updated, "ChuHoSo": "Nguyễn Văn An", "SoDienThoai": "0903123456",
        "Email": "an.nguyen@example.vn", "SoGiayToChuHoSo": "079201001234",
    }
    record.update(changes)
    return record


def service_request(n, requested: str = "2025-07-02T09:00:00+07:00", **changes) -> dict:
    record = {"service_request_id": n, "status": "open", "service_name": "Trật tự đô thị",
              "requested_datetime": requested, "updated_datetime": requested,
              "expected_datetime": "2025-07-23T17:00:00+07:00", "lat": 10.7769, "long": 106.7009,
              "description": "Ông Trần Văn Bình, 0912345678, báo đèn đường hỏng", "email": "b@example.vn"}
    record.update(changes)
    return record
