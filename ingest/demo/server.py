"""The demo feed as a standalone HTTP server (`python cli.py demo serve`), speaking the protocols of the
real connectors, so `dossier_api`, `open311` and `document_counts` run end to end against it:

    GET /portal/dossiers?updated_from=&updated_to=&page=&page_size=   the portal's dossier sync feed
    GET /open311/v2/requests.json?start_date=&end_date=               hotline 1022 as GeoReport v2
    GET /open311/v2/requests.json?service_request_id=a,b,…            the named requests
    GET /open311/v2/servicerequestupdates.json?start_date=&end_date=  the GeoReport updates extension
    GET /documents?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]          daily document counts
    GET /healthz

Records come from `DemoCity` as they stand at the server's clock (`as_of`, fixed for tests, else the
wall clock). Each record also carries made-up applicant and caller data (names, phone numbers,
e-mail addresses, ID numbers), as real feeds do: the connectors must leave them behind.
"""
from __future__ import annotations

import bisect
import csv
import io
import json
import logging
import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from ingest.connectors.mapping import parse_time
from ingest.demo.generator import BoundedCache
from metrics.time import TZ, now

log = logging.getLogger(__name__)
PORTAL_STATUS = {"received": 4, "supplement_requested": 5, "completed": 9, "returned": 10, "withdrawn": 7,
                 "rejected": 8}
PORTAL_CHANNEL = {"direct": 1, "online": 2, "postal": 3}
OPEN311_MAX_DAYS = 90
OPEN311_MAX_RECORDS = 1000
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi")
GIVEN = ("Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Thanh Hùng", "Ngọc Lan", "Đức Minh")


def _compact(moment: datetime | None) -> str:
    """yyyyMMddHHmmss local: sliced from isoformat (strftime cost most of a page's rendering)."""
    if not moment:
        return ""
    text = moment.astimezone(TZ).isoformat()
    return f"{text[:4]}{text[5:7]}{text[8:10]}{text[11:13]}{text[14:16]}{text[17:19]}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).isoformat() if moment else None


def _person(key: str) -> dict:
    """Made-up, deterministic applicant data for a record id (never real people)."""
    h = sum(map(ord, key)) * 2654435761 % 10**9
    name = f"{FAMILY[h % len(FAMILY)]} {GIVEN[(h // 8) % len(GIVEN)]}"
    return {"name": name, "phone": f"09{h % 10**8:08d}", "email": f"cd{h % 10**6}@example.vn",
            "id_number": f"079{h % 10**9:09d}"}


def portal_record(d: dict) -> dict:
    person = _person(d["dossier_id"])
    return {
        "MaHoSo": d["dossier_id"], "MaDonVi": d["unit_code"], "MaTTHC": d["procedure_code"],
        "TenTTHC": d["procedure_name"], "TenLinhVuc": d["sector"], "KenhThucHien": PORTAL_CHANNEL[d["channel"]],
        "ToanTrinh": int(d["full_process_online"]), "NgayTiepNhan": _compact(d["received_at"]),
        "NgayHenTra": _compact(d["due_at"]), "NgayKetThucXuLy": _compact(d["completed_at"]),
        "TrangThaiHoSo": PORTAL_STATUS[d["status"]], "SoLanBoSung": d["supplement_requests"],
        "CoPhi": int(d["fee_bearing"]), "ThanhToanTrucTuyen": int(d["paid_online"]),
        "KetQuaDienTu": int(d["e_result"]), "SoHoa": int(d["digitised"]), "TaiSuDungDuLieu": int(d["data_reused"]),
        "TiepNhanMuon": int(d["accepted_late"]), "NgayCapNhat": _compact(d["updated_at"]),
        "ChuHoSo": person["name"], "SoDienThoai": person["phone"], "Email": person["email"],
        "SoGiayToChuHoSo": person["id_number"],
    }


def service_request(t: dict, point: tuple[float, float] | None) -> dict:
    person = _person(t["ticket_id"])
    status = t["status"]
    out = {
        "service_request_id": t["ticket_id"], "status": "closed" if status == "closed" else "open",
        "status_detail": status, "service_name": t["category"], "agency_responsible": t["handling_unit"],
        "requested_datetime": _iso(t["received_at"]), "updated_datetime": _iso(t["updated_at"]),
        "expected_datetime": _iso(t["due_at"]), "closed_datetime": _iso(t["closed_at"]),
        "channel": t["channel"], "reopened": t["reopened"], "rating": t["rating"],
        "description": f"Người phản ánh {person['name']}, điện thoại {person['phone']}",
        "first_name": person["name"].split()[-1], "last_name": person["name"].split()[0],
        "email": person["email"], "phone": person["phone"],
    }
    if point is not None:
        out["lat"], out["long"] = point
    return out


class DemoFeed:
    """What the server answers, computed from a DemoCity (cached per window: pages share one list)."""

    def __init__(self, scale: float = 1.0, seed: int = 20250701, as_of: datetime | None = None,
                 token: str | None = None, limit: int | None = None, keep_pages: bool = False):
        self.scale, self.seed, self.fixed_clock, self.token = scale, seed, as_of, token
        # A benchmark's options: hold only the first `limit` dossiers by update (an exact count);
        # keep each portal page once rendered, so a timed re-read measures the client, not this server.
        self.limit, self.keep_pages = limit, keep_pages
        self._last_held: tuple = (None, None)  # (clock, the last record a limited feed holds at that clock)
        self.pages: dict = {}
        self._cache = BoundedCache(4)

    @cached_property
    def city(self):
        import pandas as pd

        from config import ROOT
        from geo.communes import communes_frame
        from ingest.demo.generator import DemoCity

        departments = pd.read_csv(ROOT / "store" / "reference" / "departments.csv")
        return DemoCity(communes_frame(), departments, seed=self.seed, scale=self.scale)

    @cached_property
    def points(self) -> dict[str, tuple[float, float]]:
        from geo.communes import communes_frame

        f = communes_frame()
        return {c: (float(la), float(lo)) for c, la, lo in zip(f["code"], f["lat"], f["lon"])}

    def clock(self) -> datetime:
        return self.fixed_clock or now()

    def _days(self, first: date, last: date) -> list[date]:
        from ingest.demo.generator import DEMO_START

        first = max(first, DEMO_START)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def dossiers(self, updated_from: datetime | None, updated_to: datetime) -> list[dict]:
        rows = self._dossiers(updated_from, updated_to)
        if self.limit is None:
            return rows
        # A limited feed holds the first `limit` records by update: every window serves only those.
        clock = self.clock()
        if self._last_held[0] != clock:
            everything = self._dossiers(None, clock)
            self._last_held = (clock, _order(everything[min(self.limit, len(everything)) - 1]) if everything else None)
        last = self._last_held[1]
        return rows[:bisect.bisect_right(rows, last, key=_order)] if last is not None else []

    def _dossiers(self, updated_from: datetime | None, updated_to: datetime) -> list[dict]:
        from ingest.demo.generator import DEMO_START

        # As a sync feed answers: the records whose current version was last updated in the window, in that
        # version (a record changed again after the window is in a later window only, never in two).
        as_of = self.clock()
        if updated_from is not None and updated_from <= datetime.combine(DEMO_START, time(0), TZ):
            updated_from = None  # from the beginning: also what happened at its very first second

        def build():
            first = DEMO_START if updated_from is None else (
                updated_from.astimezone(TZ).date() - timedelta(days=self.city.max_dossier_lifetime_days))
            rows = []
            for day in self._days(first, min(updated_to, as_of).astimezone(TZ).date()):
                rows.extend(d for d in self.city.dossier_versions(day, as_of=as_of, changed_since=updated_from)
                            if d["updated_at"] <= updated_to)
            rows.sort(key=_order)
            return rows

        return self._cache.get(("dossiers", updated_from, updated_to, as_of), build)

    def tickets(self, start: datetime, end: datetime) -> list[dict]:
        as_of = self.clock()

        def build():
            rows = []
            for day in self._days(start.astimezone(TZ).date(), min(end, as_of).astimezone(TZ).date()):
                rows.extend(t for t in self.city.ticket_versions(day, as_of=as_of)
                            if start <= t["received_at"] <= end)
            rows.sort(key=lambda t: (t["received_at"], t["ticket_id"]))
            return rows

        return self._cache.get(("tickets", start, end, as_of), build)

    def ticket_updates(self, start: datetime, end: datetime) -> list[dict]:
        """The tickets changed in (start, end], each in its newest version by `end` (one update each)."""
        as_of = min(end, self.clock())

        def build():
            first = start.astimezone(TZ).date() - timedelta(days=self.city.max_ticket_lifetime_days)
            rows = []
            for day in self._days(first, as_of.astimezone(TZ).date()):
                rows.extend(self.city.ticket_versions(day, as_of=as_of, changed_since=start))
            rows.sort(key=lambda t: (t["updated_at"], t["ticket_id"]))
            return rows

        return self._cache.get(("ticket updates", start, as_of), build)

    def tickets_by_id(self, ids: list[str]) -> list[dict]:
        """The named tickets as they stand now; an id of no ticket is left out, as GeoReport servers do."""
        as_of, wanted, found = self.clock(), set(ids), []
        days = set()
        for ticket_id in wanted:
            try:  # H-yymmdd-nnnnn: the demo's ids carry their day
                days.add(datetime.strptime(ticket_id.split("-")[1], "%y%m%d").date())
            except (IndexError, ValueError):
                continue
        for day in sorted(days):
            found.extend(t for t in self.city.ticket_versions(day, as_of=as_of) if t["ticket_id"] in wanted)
        return found

    def document_counts(self, first: date, last: date) -> list[dict]:
        today = self.clock().astimezone(TZ).date()  # a day's counts are final once it has closed
        rows = []
        for day in self._days(first, min(last, today - timedelta(days=1))):
            rows.extend(self.city.document_counts(day))
        return rows


def _order(dossier: dict) -> tuple:
    return dossier["updated_at"], dossier["dossier_id"]


def _time_param(query: dict, name: str) -> datetime | None:
    value = query.get(name)
    if value is None:
        return None
    moment = parse_time(value, TZ)
    if not isinstance(moment, datetime):
        raise ValueError(f"{name}={value!r} is not a time")
    return moment


class Handler(BaseHTTPRequestHandler):
    feed: DemoFeed  # set on the subclass the server makes
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet by default; the CLI turns it on
        log.debug("%s " + fmt, self.address_string(), *args)

    def _send(self, status: int, body, content_type: str = "application/json; charset=utf-8") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 — the stdlib's name
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if self.feed.token and url.path != "/healthz" and \
                self.headers.get("Authorization") != f"Bearer {self.feed.token}":
            return self._send(401, {"error": "unauthorized"})
        try:
            if url.path == "/healthz":
                return self._send(200, {"status": "ok"})
            if url.path == "/portal/dossiers":
                return self._portal(query)
            if url.path == "/open311/v2/requests.json":
                return self._open311(query)
            if url.path == "/open311/v2/servicerequestupdates.json":
                return self._open311_updates(query)
            if url.path == "/documents":
                return self._documents(query)
            return self._send(404, {"error": f"no route {url.path}"})
        except ValueError as exc:
            return self._send(400, {"error": str(exc)})

    def _portal(self, query: dict):
        until = _time_param(query, "updated_to") or self.feed.clock()
        since = _time_param(query, "updated_from")
        page, size = int(query.get("page", 1)), min(int(query.get("page_size", 500)), 5000)
        if page < 1 or size < 1:
            raise ValueError("page and page_size start at 1")
        key = (since, until, self.feed.clock(), page, size)
        body = self.feed.pages.get(key)
        if body is None:
            rows = self.feed.dossiers(since, until)
            chunk = rows[(page - 1) * size: page * size]
            total_pages = max((len(rows) + size - 1) // size, 1)
            body = json.dumps({"data": [portal_record(d) for d in chunk], "page": page, "page_size": size,
                               "total": len(rows), "total_pages": total_pages}, ensure_ascii=False).encode("utf-8")
            if self.feed.keep_pages:
                self.feed.pages[key] = body
        self._send(200, body)

    def _window(self, query: dict) -> tuple[datetime, datetime]:
        end = _time_param(query, "end_date") or self.feed.clock()
        start = _time_param(query, "start_date") or end - timedelta(days=OPEN311_MAX_DAYS)
        if end - start > timedelta(days=OPEN311_MAX_DAYS):
            raise ValueError("start_date and end_date may be at most 90 days apart")
        return start, end

    def _open311(self, query: dict):
        statuses = set(query.get("status", "open,closed").split(","))
        if query.get("service_request_id"):
            found = self.feed.tickets_by_id([i.strip() for i in query["service_request_id"].split(",")])
        else:
            found = self.feed.tickets(*self._window(query))
        rows = [t for t in found if ("closed" if t["status"] == "closed" else "open") in statuses]
        points = self.feed.points
        self._send(200, [service_request(t, points.get(t["unit_code"])) for t in rows[:OPEN311_MAX_RECORDS]])

    def _open311_updates(self, query: dict):
        updates = self.feed.ticket_updates(*self._window(query))[:OPEN311_MAX_RECORDS]
        self._send(200, [{"update_id": f"{t['ticket_id']}@{_compact(t['updated_at'])}",
                          "service_request_id": t["ticket_id"], "status": "closed" if t["status"] == "closed" else "open",
                          "updated_datetime": _iso(t["updated_at"]), "description": ""} for t in updates])

    def _documents(self, query: dict):
        first = date.fromisoformat(query["from"])
        last = date.fromisoformat(query.get("to", query["from"]))
        rows = [{**r, "day": r["day"].isoformat()} for r in self.feed.document_counts(first, last)]
        if query.get("format") == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, ["unit_code", "day", "direction", "total", "electronic", "digitally_signed"])
            writer.writeheader()
            writer.writerows(rows)
            return self._send(200, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8")
        self._send(200, {"data": rows})


@contextmanager
def serving(feed: DemoFeed, path: str = ""):
    """The feed served from a thread on a free port of 127.0.0.1 (tests, benchmarks): the server, with `url`
    (its base, plus `path`) and `feed`; shut down on leaving."""
    server = make_server(feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    server.feed = feed
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def make_server(feed: DemoFeed, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    handler = type("DemoFeedHandler", (Handler,), {"feed": feed})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
