"""Deterministic demo city: record-level dossiers, hotline 1022 tickets and document counts.

Calibrated on KPIS.md §4 (volumes, rhythm, online share, on-time share, hotline figures). Pure: it reads only
the CSV files next to it (procedure catalogue, hotline categories, time trends) and the Vietnamese calendar
of `metrics.calendar`. Each day is drawn from its own random stream seeded by (seed, kind, day), so a day's
records do not depend on what was generated before, and everything about a record is decided on the day it
is received: its whole life cycle is a set of event times, and a record's state "as of T" is read off them.

Times are handled internally as int64 nanoseconds since the epoch (UTC); `NEVER` stands for an event that
does not happen. Vietnam has no daylight saving time, so local time is UTC+7 throughout.
"""
from __future__ import annotations

import csv
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from metrics.calendar import holiday_mask, is_working_day

DEMO_START = date(2025, 7, 1)
TIMEZONE = "Asia/Ho_Chi_Minh"
LOCAL = timezone(timedelta(hours=7), "ICT")  # fixed offset: Vietnam has no DST, and it is fast to build
DATA = Path(__file__).parent
PROCEDURES_CSV = DATA / "procedures.csv"
HOTLINE_CATEGORIES_CSV = DATA / "hotline_categories.csv"
TRENDS_CSV = DATA / "trends.csv"

NS = 1_000_000_000
MINUTE = 60 * NS
HOUR = 60 * MINUTE
DAY = 24 * HOUR
UTC_OFFSET = 7 * HOUR
NEVER = np.iinfo(np.int64).max

# Volumes at level 1.0 on an average working day (KPIS.md §4: ≈60 per commune per calendar day, commune
# level ≈62 % of all dossiers, August 2025 ≈452,000; see tests/test_demo_generator.py for the measured fit).
COMMUNE_DOSSIERS_PER_1000_RESIDENTS = 0.904
DEPARTMENT_DOSSIERS = 7500.0  # all departments of the catalogue together
COMMUNE_VOLUME_SPREAD = 0.3  # lognormal sigma on top of population: the heavy tail is mostly population
HOTLINE_TICKETS_PER_DAY = 465.0  # ≈14,000 a month
DOCUMENTS_PER_COMMUNE = {"incoming": 5.5, "outgoing": 4.0}  # at a commune of REFERENCE_POPULATION
DOCUMENTS_PER_DEPARTMENT = {"incoming": 14.0, "outgoing": 9.8}
DOCUMENTS_PER_DEPARTMENT_DOSSIER = {"incoming": 0.005, "outgoing": 0.0035}
REFERENCE_POPULATION = 90_000

# Rhythm (multipliers of an average working day). Monday highest; one-stop shops open Saturday mornings;
# Sundays and holidays receive online submissions only; Tết near zero, busy before, slow after.
WEEKDAY_FACTOR = np.array([1.15, 1.02, 1.0, 0.97, 0.90, 0.95, 0.95])  # Mon..Sun when a working day
SATURDAY_FACTOR = 0.20
ONLINE_ONLY_FACTOR = 0.03
TET_FACTOR = 0.004
PRE_TET_WORKING_DAYS = 10
PRE_TET_FACTOR = 1.15
POST_TET_FACTORS = np.array([0.45, 0.6, 0.75, 0.85, 0.92])
TICKET_FACTOR = {"work": 1.08, "monday": 1.15, "saturday": 0.8, "online_only": 0.65, "tet": 0.35}
DOCUMENT_FACTOR = {"saturday": 0.04, "online_only": 0.01, "tet": 0.003}

# Life cycle (KPIS.md §3-4).
WITHDRAWN_SHARE = 0.01
REJECTED_SHARE = 0.01
ONE_SUPPLEMENT = 0.08
TWO_SUPPLEMENTS = 0.015
TWO_SUPPLEMENTS_LATE = 0.85  # late by the portal's rule anyway; most are late by the clock too
RETURNED_SHARE = 0.9  # of processed dossiers, the result is recorded as handed back
POSTAL_SHARE = 0.01  # of non-online dossiers
LATE_CAP_WORKING_DAYS = 15
WAIT_CAP_DAYS = 21
RETURN_CAP_WORKING_DAYS = 5
SAME_DAY_CUTOFF = 16 * HOUR  # received later (or on a day off): the period starts the next working day
DUE_CLOCK = 17 * HOUR  # appointments fall at the end of office hours
UNIT_QUALITY_SPREAD = 0.7  # lognormal sigma of a unit's lateness: the map needs contrast
UNIT_DIGITAL_SPREAD = 0.45  # logit-scale spread of a unit's online / digital rates
PROCEDURE_MIX_SPREAD = 0.25

HOTLINE_DUE_WORKING_DAYS = 15
HOTLINE_LATE_CAP_WORKING_DAYS = 20
HOTLINE_CHANNELS = np.array(["phone", "app", "web", "zalo", "email"], dtype=object)
HOTLINE_CHANNEL_SHARES = np.array([0.58, 0.22, 0.09, 0.09, 0.02])
HOTLINE_REOPENED = 0.02
HOTLINE_RATED = 0.35
HOTLINE_REOPEN_MAX_DAYS = 6
HOTLINE_RECLOSE_MAX_DAYS = 12
HOTLINE_RATING_MAX_HOURS = 48
RATING_CDF_GOOD = np.cumsum([0.04, 0.04, 0.10, 0.30, 0.52])
RATING_CDF_POOR = np.cumsum([0.25, 0.20, 0.25, 0.18, 0.12])

# Submissions by hour of day (online and hotline): office hours peak, quiet nights.
ONLINE_HOUR_WEIGHTS = np.array([0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 5.0, 6.5, 6.5, 5.5,
                                3.5, 4.0, 5.5, 6.0, 5.5, 4.5, 3.0, 3.0, 3.5, 3.0, 2.0, 1.0])
ONLINE_HOUR_CDF = np.cumsum(ONLINE_HOUR_WEIGHTS) / ONLINE_HOUR_WEIGHTS.sum()
OFFICE_MORNING = (7 * 3600 + 1800, 11 * 3600 + 1800)  # seconds of the day, counters open
OFFICE_AFTERNOON = (13 * 3600, 17 * 3600)
OFFICE_MORNING_SHARE = 0.58
WORK_CLOCK = (8 * 3600, 17 * 3600)  # when officers complete, close and hand back

STATUS_COMPLETED, STATUS_RETURNED, STATUS_WITHDRAWN, STATUS_REJECTED = 0, 1, 2, 3
FINAL_STATUSES = np.array(["completed", "returned", "withdrawn", "rejected"], dtype=object)
CHANNELS = np.array(["direct", "online", "postal"], dtype=object)

DOSSIER_FIELDS = ("dossier_id", "unit_code", "procedure_code", "procedure_name", "sector", "channel",
                  "full_process_online", "received_at", "due_at", "completed_at", "status",
                  "supplement_requests", "fee_bearing", "paid_online", "e_result", "digitised", "data_reused",
                  "accepted_late", "updated_at")
TICKET_FIELDS = ("ticket_id", "channel", "category", "unit_code", "lat", "long", "handling_unit", "received_at",
                 "due_at", "closed_at", "status", "reopened", "rating", "updated_at")

_STREAM_DOSSIERS, _STREAM_TICKETS, _STREAM_DOCUMENTS = 1, 2, 3
KIND_WORK, KIND_SATURDAY, KIND_ONLINE_ONLY, KIND_TET = 0, 1, 2, 3
CALENDAR_ORIGIN = date(2025, 6, 1)
_EPOCH = date(1970, 1, 1)
_CACHE_DAYS = 8


class BoundedCache:
    """The last `size` values built, by key; thread-safe (the demo server answers in threads)."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()  # outside the lock: two threads may build the same day, never block each other
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


# ---------------------------------------------------------------------------------------------- calendar


class _Calendar:
    """Working days and the demo's rhythm for every day from CALENDAR_ORIGIN to `end`, as arrays."""

    def __init__(self, end: date):
        self.end = end
        n = (end - CALENDAR_ORIGIN).days + 1
        self.origin_epoch_day = (CALENDAR_ORIGIN - _EPOCH).days
        days = np.arange(n) + np.datetime64(CALENDAR_ORIGIN, "D")
        self.is_work = np.array([is_working_day(CALENDAR_ORIGIN + timedelta(days=i)) for i in range(n)])
        self.wd_through = np.cumsum(self.is_work)  # working days up to and including each day
        self.work_days = np.flatnonzero(self.is_work)  # day index of the k-th working day
        holiday = holiday_mask(days)
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        tet = np.zeros(n, bool)
        # Tết = a run of days off holding several holidays in January-February (not New Year's Day alone).
        edges = np.flatnonzero(np.diff(np.r_[0, (~self.is_work).astype(np.int8), 0]))
        for lo, hi in zip(edges[::2], edges[1::2]):
            run = slice(lo, hi)
            if holiday[run].sum() >= 3 and (holiday[run] & (month[run] <= 2)).any():
                tet[run] = True
        kind = np.full(n, KIND_ONLINE_ONLY, np.int8)
        kind[self.is_work] = KIND_WORK
        kind[~self.is_work & ~holiday & (weekday == 5)] = KIND_SATURDAY
        kind[tet] = KIND_TET
        self.kind = kind

        dossier = np.where(self.is_work, WEEKDAY_FACTOR[weekday], 0.0)
        dossier[kind == KIND_SATURDAY] = SATURDAY_FACTOR
        dossier[kind == KIND_ONLINE_ONLY] = ONLINE_ONLY_FACTOR
        dossier[tet] = TET_FACTOR
        ticket = np.where(weekday == 0, TICKET_FACTOR["monday"], TICKET_FACTOR["work"])
        ticket[kind == KIND_SATURDAY] = TICKET_FACTOR["saturday"]
        ticket[kind == KIND_ONLINE_ONLY] = TICKET_FACTOR["online_only"]
        ticket[tet] = TICKET_FACTOR["tet"]
        document = np.where(self.is_work, 1.0, 0.0)
        document[kind == KIND_SATURDAY] = DOCUMENT_FACTOR["saturday"]
        document[kind == KIND_ONLINE_ONLY] = DOCUMENT_FACTOR["online_only"]
        document[tet] = DOCUMENT_FACTOR["tet"]
        # Busy before Tết, slow after: applied to working days around each Tết run.
        starts = np.flatnonzero(tet & ~np.r_[False, tet[:-1]])
        ends = np.flatnonzero(tet & ~np.r_[tet[1:], False])
        for s in starts:
            before = self.work_days[(self.work_days < s)][-PRE_TET_WORKING_DAYS:]
            dossier[before] *= PRE_TET_FACTOR
            document[before] *= PRE_TET_FACTOR
        for e in ends:
            after = self.work_days[(self.work_days > e)][:len(POST_TET_FACTORS)]
            dossier[after] *= POST_TET_FACTORS[:len(after)]
            document[after] *= POST_TET_FACTORS[:len(after)]
        self.dossier_factor, self.ticket_factor, self.document_factor = dossier, ticket, document

    def index(self, day: date) -> int:
        return (day - CALENDAR_ORIGIN).days

    def midnight(self, day_index):
        """UTC nanoseconds of local midnight starting the given day index (array or int)."""
        return (np.asarray(day_index, np.int64) + self.origin_epoch_day) * DAY - UTC_OFFSET

    def day_index_of(self, ns):
        return (np.asarray(ns, np.int64) + UTC_OFFSET) // DAY - self.origin_epoch_day

    def max_span(self, working_days: int) -> int:
        """Most calendar days from any day to the `working_days`-th working day after its period starts."""
        limit = len(self.work_days) - working_days - 1
        i = np.arange(len(self.is_work))
        ok = self.wd_through < limit
        return int((self.work_days[self.wd_through[ok] + working_days] - i[ok]).max())


_calendar_lock = threading.Lock()
_calendar_now: _Calendar | None = None


def _calendar(day: date) -> _Calendar:
    """The shared calendar, rebuilt further ahead when `day` plus a life cycle would run past its end."""
    global _calendar_now
    cal = _calendar_now
    if cal is None or day + timedelta(days=400) > cal.end:
        with _calendar_lock:
            cal = _calendar_now
            if cal is None or day + timedelta(days=400) > cal.end:
                horizon = max(day, date.today(), DEMO_START) + timedelta(days=3 * 366)
                cal = _Calendar(date(horizon.year, 12, 31))
                _calendar_now = cal
    return cal


# ---------------------------------------------------------------------------------------------- data files


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#", keep_default_na=False, dtype=str)


@lru_cache(maxsize=1)
def procedure_catalogue() -> pd.DataFrame:
    """The demo procedure catalogue (procedures.csv) with typed columns."""
    cat = _read_csv(PROCEDURES_CSV)
    for col in ("weight", "online_odds", "late_factor", "supplement_factor"):
        cat[col] = cat[col].astype(float)
    cat["due_working_days"] = cat["due_working_days"].astype(int)
    for col in ("full_process_eligible", "fee_bearing", "data_reuse_eligible"):
        cat[col] = cat[col].astype(int).astype(bool)
    if cat["code"].duplicated().any():
        raise ValueError("duplicate procedure codes in procedures.csv")
    return cat


@lru_cache(maxsize=1)
def hotline_categories() -> pd.DataFrame:
    cat = _read_csv(HOTLINE_CATEGORIES_CSV)
    cat["share"] = cat["share"].astype(float)
    cat["late_factor"] = cat["late_factor"].astype(float)
    return cat


@lru_cache(maxsize=1)
def _trend_table() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    table: dict[str, list[tuple[int, float]]] = {}
    with TRENDS_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            table.setdefault(row["metric"], []).append(
                (date.fromisoformat(row["date"]).toordinal(), float(row["value"])))
    return {m: (np.array([x for x, _ in sorted(v)], float), np.array([y for _, y in sorted(v)]))
            for m, v in table.items()}


def trend(metric: str, day: date) -> float:
    """A time-varying rate of trends.csv on `day` (linear between anchors, flat outside)."""
    xs, ys = _trend_table()[metric]
    return float(np.interp(day.toordinal(), xs, ys))


# ---------------------------------------------------------------------------------------------- helpers


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1.0 - p))


def _unit_rng(seed: int, code: str, stream: int) -> np.random.Generator:
    """A unit's own stable stream: its traits do not depend on which other units are present."""
    return np.random.default_rng([seed, zlib.crc32(code.encode("utf-8")), stream])


def _whole_seconds(ns):
    return ns - ns % NS


def _clock(rng: np.random.Generator, n: int, span: tuple[int, int]) -> np.ndarray:
    """Random times of day (ns) uniformly within `span` (seconds)."""
    return rng.integers(span[0], span[1], n) * NS


def _online_clock(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = np.searchsorted(ONLINE_HOUR_CDF, rng.random(n), side="right")
    return (hour * 3600 + rng.integers(0, 3600, n)) * NS


def _office_clock(rng: np.random.Generator, n: int, morning_only: bool) -> np.ndarray:
    morning = _clock(rng, n, OFFICE_MORNING)
    if morning_only:
        return morning
    afternoon = _clock(rng, n, OFFICE_AFTERNOON)
    return np.where(rng.random(n) < OFFICE_MORNING_SHARE, morning, afternoon)


def _interval(rng: np.random.Generator, start, end, lo: float, hi: float):
    """A point a uniform fraction in [lo, hi) of the way from start to end, floored to whole seconds."""
    frac = rng.uniform(lo, hi, len(start))
    return start + _whole_seconds(((end - start) * frac).astype(np.int64))


@lru_cache(maxsize=4)
def _padded(width: int, size: int) -> np.ndarray:
    return np.array([f"{i:0{width}d}" for i in range(size)], dtype=object)


def _sequence_strings(seq: np.ndarray) -> np.ndarray:
    """Zero-padded sequence numbers (5 digits, more only if a day ever needs them) from a cached table."""
    top = int(seq.max())
    width = max(5, len(str(top)))
    return _padded(width, max(1 << 12, 1 << top.bit_length()))[seq]


def _timestamps(ns: np.ndarray) -> pd.Series:
    """Tz-aware pandas timestamps (Asia/Ho_Chi_Minh); NEVER becomes NaT."""
    raw = np.where(ns == NEVER, np.iinfo(np.int64).min, ns).view("M8[ns]")
    return pd.Series(pd.DatetimeIndex(raw).tz_localize("UTC").tz_convert(TIMEZONE))


def _py_datetimes(ns: np.ndarray) -> list:
    """Python tz-aware datetimes (UTC+7) for whole-second ns; NEVER becomes None.

    Built once per distinct value: appointments and unset events repeat a lot.
    """
    values, inverse = np.unique(ns, return_inverse=True)
    fromts = datetime.fromtimestamp
    table = np.empty(len(values), dtype=object)
    table[:] = [None if v == NEVER else fromts(v // NS, LOCAL) for v in values.tolist()]
    return table[inverse].tolist()


def _as_day(day: date) -> date:
    """A local date; a datetime is taken at its own (local) date."""
    return day.date() if isinstance(day, datetime) else day


def _to_ns(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("as_of / changed_since must be timezone-aware")
    return pd.Timestamp(moment).as_unit("ns").value


def _latest(as_of: int, *events: np.ndarray) -> np.ndarray:
    """Per row, the latest of the given event times that is <= as_of (events must include one that is)."""
    out = np.full(len(events[0]), np.iinfo(np.int64).min)
    for e in events:
        np.maximum(out, np.where(e <= as_of, e, out), out=out)
    return out


@dataclass
class _Dossiers:
    """One day's dossiers as arrays (times: UTC ns, NEVER when the event does not happen)."""

    dossier_id: np.ndarray
    unit: np.ndarray
    procedure: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    full_process_online: np.ndarray
    received_at: np.ndarray
    due_at: np.ndarray
    base_due_at: np.ndarray  # before any supplement wait pushed it
    supplement_at: np.ndarray
    second_supplement_at: np.ndarray
    supplement_requests: np.ndarray
    resumed_at: np.ndarray
    completed_at: np.ndarray
    final_status: np.ndarray  # index into FINAL_STATUSES
    returned_at: np.ndarray
    fee_bearing: np.ndarray
    paid_online: np.ndarray
    e_result: np.ndarray
    digitised: np.ndarray
    data_reused: np.ndarray
    accepted_late: np.ndarray


@dataclass
class _Tickets:
    ticket_id: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    unit: np.ndarray
    handling_unit: np.ndarray  # object array of str
    received_at: np.ndarray
    due_at: np.ndarray
    assigned_at: np.ndarray
    first_closed_at: np.ndarray  # NEVER unless reopened
    reopened_at: np.ndarray
    closed_at: np.ndarray  # final close
    rating: np.ndarray  # 0 = not rated
    rated_at: np.ndarray


# ---------------------------------------------------------------------------------------------- the city


class DemoCity:
    """The demo city: `communes` (code, population) and `departments` (code) from the reference data.

    `scale` multiplies every volume (1.0 = calibrated); `seed` fixes everything else.
    """

    def __init__(self, communes: pd.DataFrame, departments: pd.DataFrame, seed: int = 20250701,
                 scale: float = 1.0):
        if scale < 0:
            raise ValueError("scale must be >= 0")
        self.seed = int(seed)
        self.scale = float(scale)
        commune_codes = communes["code"].astype(str).tolist()
        department_codes = departments["code"].astype(str).tolist()
        codes = commune_codes + department_codes
        if len(set(codes)) != len(codes):
            raise ValueError("unit codes must be unique across communes and departments")
        self.unit_codes = np.array(codes, dtype=object)
        self.n_communes = nc = len(commune_codes)
        population = communes["population"].to_numpy(float)
        n_units = len(codes)

        # Stable per-unit traits, each from the unit's own stream.
        traits = np.array([_unit_rng(self.seed, c, 0).standard_normal(3) for c in codes]).reshape(n_units, 3)
        cat = procedure_catalogue()
        self.catalogue = cat
        n_proc = len(cat)
        is_commune_proc = (cat["level"] == "commune").to_numpy()
        weight = cat["weight"].to_numpy()

        mix = np.zeros((n_units, n_proc))
        rate = np.zeros(n_units)
        if nc:
            noise = np.exp(COMMUNE_VOLUME_SPREAD * traits[:nc, 0])
            noise /= (population * noise).sum() / population.sum()
            rate[:nc] = population / 1000 * COMMUNE_DOSSIERS_PER_1000_RESIDENTS * noise
            for u, code in enumerate(commune_codes):
                jitter = np.exp(PROCEDURE_MIX_SPREAD * _unit_rng(self.seed, code, 1).standard_normal(n_proc))
                mix[u] = np.where(is_commune_proc, weight * jitter, 0.0)
        owner = cat["unit_code"].to_numpy()
        catalogue_department_weight = weight[(~is_commune_proc) & (owner != "*")].sum()
        for j, code in enumerate(department_codes):
            own = (~is_commune_proc) & (owner == code)
            if not own.any():
                own = (~is_commune_proc) & (owner == "*")
            mix[nc + j] = np.where(own, weight, 0.0)
            rate[nc + j] = DEPARTMENT_DOSSIERS * weight[own].sum() / catalogue_department_weight
        mix /= np.maximum(mix.sum(axis=1, keepdims=True), 1e-300)
        self._dossier_rate = rate
        # Procedure sampling: one searchsorted over row-offset cumulative weights (all units at once).
        cum = np.cumsum(mix, axis=1)
        cum[:, -1] = 1.0
        self._mix_flat = (cum + np.arange(n_units)[:, None]).ravel()
        self._n_proc = n_proc

        volume = rate[:, None] * mix  # expected working-day dossiers per (unit, procedure)
        total = volume.sum() or 1.0
        quality = np.exp(UNIT_QUALITY_SPREAD * traits[:, 1])
        late = quality[:, None] * cat["late_factor"].to_numpy()[None, :]
        self._late = late / ((volume * late).sum() / total)
        supp = cat["supplement_factor"].to_numpy()
        self._supplement = supp / ((volume.sum(axis=0) * supp).sum() / total)
        digital = UNIT_DIGITAL_SPREAD * traits[:, 2]
        self._digital = digital - (rate * digital).sum() / (rate.sum() or 1.0)

        self._proc_code = cat["code"].to_numpy(object)
        self._proc_name = cat["name"].to_numpy(object)
        self._proc_sector = cat["sector"].to_numpy(object)
        self._proc_due = cat["due_working_days"].to_numpy(np.int64)
        self._proc_online = np.log(cat["online_odds"].to_numpy())
        self._proc_full_process = cat["full_process_eligible"].to_numpy(bool)
        self._proc_fee = cat["fee_bearing"].to_numpy(bool)
        self._proc_reuse = cat["data_reuse_eligible"].to_numpy(bool)
        keep = volume.ravel() > 0
        self._online_w = volume.ravel()[keep] / total
        self._online_a = (self._proc_online[None, :] + self._digital[:, None]).ravel()[keep]
        self._online_offsets: dict[float, float] = {}

        # Hotline: tickets located in communes by population.
        hot = hotline_categories()
        self._cat_name = hot["name"].to_numpy(object)
        self._cat_cdf = np.cumsum(hot["share"].to_numpy()) / hot["share"].sum()
        share = hot["share"].to_numpy()
        self._cat_late = hot["late_factor"].to_numpy() / ((hot["late_factor"].to_numpy() * share).sum() / share.sum())
        self._cat_handling = hot["handling_unit"].to_numpy(object)
        self._cat_by_commune = (self._cat_handling == "commune")
        pop_total = population.sum()
        self._ticket_share = population / pop_total if nc and pop_total > 0 else np.zeros(nc)
        self._ticket_quality = np.sqrt(quality[:nc]) / (
            (self._ticket_share * np.sqrt(quality[:nc])).sum() or 1.0)

        # Documents: communes by the square root of population, departments by their dossier volume.
        self._document_rate = {}
        for direction in ("incoming", "outgoing"):
            r = np.zeros(n_units)
            r[:nc] = DOCUMENTS_PER_COMMUNE[direction] * np.sqrt(population / REFERENCE_POPULATION)
            r[nc:] = DOCUMENTS_PER_DEPARTMENT[direction] + DOCUMENTS_PER_DEPARTMENT_DOSSIER[direction] * rate[nc:]
            self._document_rate[direction] = r

        self._cache = BoundedCache(_CACHE_DAYS)

    # ------------------------------------------------------------------ bounds

    @property
    def max_dossier_lifetime_days(self) -> int:
        """Upper bound on (last event - received_at) in days, for how far back a caller looks for changes."""
        cal = _calendar(date.today())
        working = int(self._proc_due.max()) + LATE_CAP_WORKING_DAYS
        return cal.max_span(working) + 1 + WAIT_CAP_DAYS + cal.max_span(RETURN_CAP_WORKING_DAYS) + 1

    @property
    def max_ticket_lifetime_days(self) -> int:
        cal = _calendar(date.today())
        span = cal.max_span(HOTLINE_DUE_WORKING_DAYS + HOTLINE_LATE_CAP_WORKING_DAYS)
        return (span + 1 + HOTLINE_REOPEN_MAX_DAYS + HOTLINE_RECLOSE_MAX_DAYS
                + HOTLINE_RATING_MAX_HOURS // 24 + 1)

    # ------------------------------------------------------------------ internals


    def _online_offset(self, share: float) -> float:
        """Logit shift that makes the volume-weighted online share of a working day equal `share`."""
        key = round(share, 6)
        if key not in self._online_offsets:
            x, c = _logit(share), 0.0
            for _ in range(50):
                p = _sigmoid(x + c + self._online_a)
                f = (self._online_w * p).sum() - share
                if abs(f) < 1e-10:
                    break
                c -= f / max((self._online_w * p * (1 - p)).sum(), 1e-12)
            self._online_offsets[key] = c
        return self._online_offsets[key]

    def _period(self, cal: _Calendar, i: int, clock: np.ndarray):
        """Position (in cal.work_days) of the working day a processing period starts from."""
        same_day = bool(cal.is_work[i]) & (clock < SAME_DAY_CUTOFF)
        return np.where(same_day, cal.wd_through[i] - 1, cal.wd_through[i])

    def _dossier_arrays(self, day: date) -> _Dossiers:
        return self._cache.get(("dossiers", day), lambda: self._generate_dossiers(day))

    def _generate_dossiers(self, day: date) -> _Dossiers:
        cal = _calendar(day)
        i = cal.index(day)
        if i < 0:
            raise ValueError(f"{day} is before the demo calendar ({CALENDAR_ORIGIN})")
        rng = np.random.default_rng([self.seed, _STREAM_DOSSIERS, day.toordinal()])
        level = 0.0 if day < DEMO_START else trend("dossier_level", day) * cal.dossier_factor[i] * self.scale
        counts = rng.poisson(self._dossier_rate * level)
        n = int(counts.sum())
        unit = np.repeat(np.arange(len(counts)), counts)
        proc = np.searchsorted(self._mix_flat, unit + rng.random(n), side="right") - unit * self._n_proc
        proc = np.minimum(proc, self._n_proc - 1)
        digital = self._digital[unit]
        kind = cal.kind[i]
        if kind in (KIND_ONLINE_ONLY, KIND_TET):
            online = np.ones(n, bool)
        else:
            share = trend("online_share", day)
            x = _logit(share) + self._online_offset(share)
            online = rng.random(n) < _sigmoid(x + self._proc_online[proc] + digital)
        postal = ~online & (rng.random(n) < POSTAL_SHARE)
        clock = np.where(online, _online_clock(rng, n), _office_clock(rng, n, kind == KIND_SATURDAY))
        received = cal.midnight(i) + clock

        order = np.lexsort((received, unit))
        unit, proc, online, postal, clock, received, digital = (
            a[order] for a in (unit, proc, online, postal, clock, received, digital))
        first = np.r_[0, np.cumsum(counts)[:-1]]
        seq = np.arange(n) - first[unit] + 1
        prefix = np.array([f"{c}-{day:%y%m%d}-" for c in self.unit_codes], dtype=object)
        dossier_id = prefix[unit] + _sequence_strings(seq) if n else np.array([], dtype=object)

        # Appointment: due period in working days from the start of the period, at the end of office hours.
        start_pos = self._period(cal, i, clock)
        due_days = self._proc_due[proc]
        due_pos = start_pos + due_days
        base_due = cal.midnight(cal.work_days[due_pos]) + DUE_CLOCK

        r = rng.random(n)
        withdrawn = r < WITHDRAWN_SHARE
        rejected = (r >= WITHDRAWN_SHARE) & (r < WITHDRAWN_SHARE + REJECTED_SHARE)
        r = rng.random(n) / self._supplement[proc]
        two = r < TWO_SUPPLEMENTS
        requests = np.where(two, 2, np.where(r < TWO_SUPPLEMENTS + ONE_SUPPLEMENT, 1, 0))
        p_late = np.clip(trend("late_rate", day) * self._late[unit, proc], 0.0, 0.6)
        late = np.where(two, rng.random(n) < TWO_SUPPLEMENTS_LATE, rng.random(n) < p_late)

        # Finish as if never paused; most on-time ones early in their period (Beta skewed low).
        k = np.minimum((rng.beta(1.3, 2.6, n) * (due_days + 1)).astype(np.int64), due_days)
        on_time = cal.midnight(cal.work_days[start_pos + k]) + _clock(rng, n, WORK_CLOCK)
        on_time = np.maximum(on_time, received + _clock(rng, n, (600, 5400)))
        on_time = np.minimum(on_time, base_due)
        late_k = np.minimum(rng.geometric(0.25, n), LATE_CAP_WORKING_DAYS)
        late_at = cal.midnight(cal.work_days[due_pos + late_k]) + _clock(rng, n, WORK_CLOCK)
        finish = np.where(late, late_at, on_time)
        withdraw_at = _interval(rng, received, base_due, 0.05, 0.9)
        end = np.where(withdrawn, withdraw_at, finish)

        # A supplement request pauses the clock: everything after it, and the appointment, moves by the wait.
        has_supplement = requests > 0
        supplement_at = np.where(has_supplement, _interval(rng, received, end, 0.15, 0.6), NEVER)
        wait = np.where(two, 1.5 * DAY + rng.exponential(6 * DAY, n), 0.3 * DAY + rng.exponential(3.5 * DAY, n))
        wait = _whole_seconds(np.minimum(wait, WAIT_CAP_DAYS * DAY).astype(np.int64))
        resumes = has_supplement & ~withdrawn
        resumed = np.where(resumes, supplement_at + wait, NEVER)
        gave_up_at = supplement_at + _whole_seconds((wait * rng.uniform(0.2, 1.0, n)).astype(np.int64))
        completed = np.where(resumes, end + wait, np.where(has_supplement & withdrawn, gave_up_at, end))
        due = np.where(resumes, base_due + wait, base_due)
        resolution_end = np.where(resumes, resumed, completed)
        second = np.where(two, supplement_at + (resolution_end - supplement_at) // 2 // NS * NS, NEVER)

        processed = ~withdrawn & ~rejected
        final = np.where(withdrawn, STATUS_WITHDRAWN, np.where(rejected, STATUS_REJECTED, STATUS_COMPLETED))
        final = np.where(processed & (rng.random(n) < RETURNED_SHARE), STATUS_RETURNED, final)
        share_e = trend("e_result", day)
        e_result = processed & (rng.random(n) < _sigmoid(_logit(share_e) + digital + np.where(online, 0.6, -0.6)))
        # Hand-back: an e-result within the hour, otherwise at the counter within a few working days.
        completed_day = cal.day_index_of(completed)
        pick_k = np.minimum(rng.geometric(0.55, n) - 1, RETURN_CAP_WORKING_DAYS)
        counter = cal.midnight(cal.work_days[cal.wd_through[completed_day] - 1 + pick_k]) + _clock(rng, n, WORK_CLOCK)
        counter = np.maximum(counter, completed + _clock(rng, n, (300, 7200)))
        returned = np.where(e_result, completed + _clock(rng, n, (60, 3600)), counter)
        returned = np.where(final == STATUS_RETURNED, returned, NEVER)

        fee = self._proc_fee[proc]
        paid_share = _sigmoid(_logit(trend("paid_online", day)) + digital)
        paid_online = fee & (rng.random(n) < np.where(online, paid_share, 0.3 * paid_share))
        digitised = rng.random(n) < _sigmoid(_logit(trend("digitised", day)) + digital + np.where(online, 1.0, -0.5))
        data_reused = self._proc_reuse[proc] & (rng.random(n) < trend("data_reused", day))
        accepted_late = online & (rng.random(n) < trend("accepted_late", day))
        full_process = online & self._proc_full_process[proc] & (rng.random(n) < trend("full_process_share", day))

        return _Dossiers(
            dossier_id=dossier_id, unit=unit, procedure=proc,
            channel=np.where(online, 1, np.where(postal, 2, 0)), full_process_online=full_process,
            received_at=received, due_at=due, base_due_at=base_due, supplement_at=supplement_at,
            second_supplement_at=second, supplement_requests=requests, resumed_at=resumed,
            completed_at=completed, final_status=final, returned_at=returned, fee_bearing=fee,
            paid_online=paid_online, e_result=e_result, digitised=digitised, data_reused=data_reused,
            accepted_late=accepted_late)

    def _ticket_arrays(self, day: date) -> _Tickets:
        return self._cache.get(("tickets", day), lambda: self._generate_tickets(day))

    def _generate_tickets(self, day: date) -> _Tickets:
        cal = _calendar(day)
        i = cal.index(day)
        if i < 0:
            raise ValueError(f"{day} is before the demo calendar ({CALENDAR_ORIGIN})")
        rng = np.random.default_rng([self.seed, _STREAM_TICKETS, day.toordinal()])
        level = 0.0 if day < DEMO_START else trend("ticket_level", day) * cal.ticket_factor[i] * self.scale
        counts = rng.poisson(self._ticket_share * HOTLINE_TICKETS_PER_DAY * level)
        n = int(counts.sum())
        unit = np.repeat(np.arange(len(counts)), counts)
        category = np.searchsorted(self._cat_cdf, rng.random(n), side="right").clip(0, len(self._cat_cdf) - 1)
        channel = np.searchsorted(np.cumsum(HOTLINE_CHANNEL_SHARES), rng.random(n), side="right").clip(0, 4)
        clock = _online_clock(rng, n)
        received = cal.midnight(i) + clock
        order = np.argsort(received, kind="stable")
        unit, category, channel, clock, received = (a[order] for a in (unit, category, channel, clock, received))
        ticket_id = f"H-{day:%y%m%d}-" + _sequence_strings(np.arange(1, n + 1)) if n else np.array([], dtype=object)

        start_pos = self._period(cal, i, clock)
        due_pos = start_pos + HOTLINE_DUE_WORKING_DAYS
        due = cal.midnight(cal.work_days[due_pos]) + DUE_CLOCK
        assigned = received + _whole_seconds(
            np.minimum(5 * MINUTE + rng.exponential(2.5 * HOUR, n), 48 * HOUR).astype(np.int64))
        p_late = np.clip(trend("ticket_late_rate", day) * self._cat_late[category] * self._ticket_quality[unit], 0, 0.6)
        late = rng.random(n) < p_late
        k = np.minimum((rng.beta(1.1, 2.2, n) * (HOTLINE_DUE_WORKING_DAYS + 1)).astype(np.int64),
                       HOTLINE_DUE_WORKING_DAYS)
        on_time = cal.midnight(cal.work_days[start_pos + k]) + _clock(rng, n, WORK_CLOCK)
        on_time = np.minimum(np.maximum(on_time, assigned + _clock(rng, n, (600, 10800))), due)
        on_time = np.maximum(on_time, assigned)
        late_k = np.minimum(rng.geometric(0.3, n), HOTLINE_LATE_CAP_WORKING_DAYS)
        late_at = cal.midnight(cal.work_days[due_pos + late_k]) + _clock(rng, n, WORK_CLOCK)
        first_close = np.where(late, late_at, on_time)
        reopened = rng.random(n) < HOTLINE_REOPENED
        reopened_at = first_close + _clock(rng, n, (12 * 3600, HOTLINE_REOPEN_MAX_DAYS * 86400))
        reclosed = reopened_at + _clock(rng, n, (86400, HOTLINE_RECLOSE_MAX_DAYS * 86400))
        closed = np.where(reopened, reclosed, first_close)
        rated = rng.random(n) < HOTLINE_RATED
        poor = late | reopened
        u = rng.random(n)
        rating = 1 + np.where(poor, np.searchsorted(RATING_CDF_POOR, u, side="right"),
                              np.searchsorted(RATING_CDF_GOOD, u, side="right")).clip(0, 4)
        rated_at = closed + _clock(rng, n, (600, HOTLINE_RATING_MAX_HOURS * 3600))
        handling = self._cat_handling[category].copy()
        by_commune = self._cat_by_commune[category]
        handling[by_commune] = self.unit_codes[unit[by_commune]]
        return _Tickets(
            ticket_id=ticket_id, channel=channel, category=category, unit=unit, handling_unit=handling,
            received_at=received, due_at=due, assigned_at=assigned,
            first_closed_at=np.where(reopened, first_close, NEVER), reopened_at=np.where(reopened, reopened_at, NEVER),
            closed_at=closed, rating=np.where(rated, rating, 0), rated_at=np.where(rated, rated_at, NEVER))

    # ------------------------------------------------------------------ public: dossiers

    def dossiers(self, day: date) -> pd.DataFrame:
        """Every dossier received on `day` (local date) with its whole life cycle as event-time columns."""
        d = self._dossier_arrays(_as_day(day))
        return pd.DataFrame({
            "dossier_id": d.dossier_id,
            "unit_code": self.unit_codes[d.unit],
            "procedure_code": self._proc_code[d.procedure],
            "procedure_name": self._proc_name[d.procedure],
            "sector": self._proc_sector[d.procedure],
            "channel": CHANNELS[d.channel],
            "full_process_online": d.full_process_online,
            "received_at": _timestamps(d.received_at),
            "due_at": _timestamps(d.due_at),
            "supplement_at": _timestamps(d.supplement_at),
            "supplement_requests": d.supplement_requests.astype(np.int64),
            "resumed_at": _timestamps(d.resumed_at),
            "completed_at": _timestamps(d.completed_at),
            "final_status": FINAL_STATUSES[d.final_status],
            "returned_at": _timestamps(d.returned_at),
            "fee_bearing": d.fee_bearing,
            "paid_online": d.paid_online,
            "e_result": d.e_result,
            "digitised": d.digitised,
            "data_reused": d.data_reused,
            "accepted_late": d.accepted_late,
        })

    def dossier_versions(self, day: date, as_of: datetime, changed_since: datetime | None = None) -> list[dict]:
        """The dossiers received on `day`, each as it stood at `as_of`, as Dossier contract dicts.

        Ended (completed_at <= T): returned once handed back, else its final status (completed until then);
        supplement_requested while waiting for the citizen; else received. Two supplement requests are one
        wait in the event columns; the second request is placed halfway through it. The appointment shows
        the push by the wait only once the citizen has supplied; an e-result shows once processing ended.
        """
        d = self._dossier_arrays(_as_day(day))
        t = _to_ns(as_of)
        keep = d.received_at <= t
        ended = d.completed_at <= t
        updated = _latest(t, d.received_at, d.supplement_at, d.second_supplement_at, d.resumed_at,
                          d.completed_at, d.returned_at)
        if changed_since is not None:
            keep &= updated > _to_ns(changed_since)
        idx = np.flatnonzero(keep)
        if not len(idx):
            return []
        ended, updated = ended[idx], updated[idx]
        supplement_at, resumed_at = d.supplement_at[idx], d.resumed_at[idx]
        waiting = (supplement_at <= t) & (t < resumed_at) & ~ended
        final = d.final_status[idx]
        ended_status = np.where((final == STATUS_RETURNED) & (d.returned_at[idx] > t), STATUS_COMPLETED, final)
        status = np.where(ended, FINAL_STATUSES[ended_status],
                          np.where(waiting, "supplement_requested", "received"))
        requests = (supplement_at <= t).astype(np.int64) + (d.second_supplement_at[idx] <= t)
        due = np.where(resumed_at <= t, d.due_at[idx], d.base_due_at[idx])
        proc = d.procedure[idx]
        columns = (
            d.dossier_id[idx].tolist(), self.unit_codes[d.unit[idx]].tolist(), self._proc_code[proc].tolist(),
            self._proc_name[proc].tolist(), self._proc_sector[proc].tolist(), CHANNELS[d.channel[idx]].tolist(),
            d.full_process_online[idx].tolist(), _py_datetimes(d.received_at[idx]), _py_datetimes(due),
            _py_datetimes(np.where(ended, d.completed_at[idx], NEVER)), status.tolist(), requests.tolist(),
            d.fee_bearing[idx].tolist(), d.paid_online[idx].tolist(), (d.e_result[idx] & ended).tolist(),
            d.digitised[idx].tolist(), d.data_reused[idx].tolist(), d.accepted_late[idx].tolist(),
            _py_datetimes(updated),
        )
        return list(map(dict, map(zip, repeat(DOSSIER_FIELDS), zip(*columns))))

    # ------------------------------------------------------------------ public: tickets

    def tickets(self, day: date) -> pd.DataFrame:
        """Hotline 1022 tickets received on `day`, with their life cycle (no caller data, lat/long not set).

        A reopened ticket is closed at first_closed_at, reopened at reopened_at and closed again at closed_at.
        rating is 0 when the citizen did not rate.
        """
        tk = self._ticket_arrays(_as_day(day))
        return pd.DataFrame({
            "ticket_id": tk.ticket_id,
            "channel": HOTLINE_CHANNELS[tk.channel],
            "category": self._cat_name[tk.category],
            "unit_code": self.unit_codes[tk.unit],
            "handling_unit": tk.handling_unit,
            "received_at": _timestamps(tk.received_at),
            "due_at": _timestamps(tk.due_at),
            "assigned_at": _timestamps(tk.assigned_at),
            "first_closed_at": _timestamps(tk.first_closed_at),
            "reopened_at": _timestamps(tk.reopened_at),
            "closed_at": _timestamps(tk.closed_at),
            "reopened": tk.reopened_at != NEVER,
            "rating": tk.rating.astype(np.int64),
            "rated_at": _timestamps(tk.rated_at),
        })

    def ticket_versions(self, day: date, as_of: datetime, changed_since: datetime | None = None) -> list[dict]:
        """The tickets received on `day`, each as it stood at `as_of`, as Ticket contract dicts."""
        tk = self._ticket_arrays(_as_day(day))
        t = _to_ns(as_of)
        keep = tk.received_at <= t
        updated = _latest(t, tk.received_at, tk.assigned_at, tk.first_closed_at, tk.reopened_at, tk.closed_at,
                          tk.rated_at)
        if changed_since is not None:
            keep &= updated > _to_ns(changed_since)
        idx = np.flatnonzero(keep)
        if not len(idx):
            return []
        updated = updated[idx]
        first_closed, reopened_at, closed = tk.first_closed_at[idx], tk.reopened_at[idx], tk.closed_at[idx]
        in_first_close = (first_closed <= t) & (t < reopened_at)
        is_closed = (closed <= t) | in_first_close
        shown_closed = np.where(closed <= t, closed, np.where(in_first_close, first_closed, NEVER))
        status = np.where(is_closed, "closed", np.where(tk.assigned_at[idx] <= t, "in_progress", "open"))
        rating = np.where(tk.rated_at[idx] <= t, tk.rating[idx], 0)
        n = len(idx)
        columns = (
            tk.ticket_id[idx].tolist(), HOTLINE_CHANNELS[tk.channel[idx]].tolist(),
            self._cat_name[tk.category[idx]].tolist(), self.unit_codes[tk.unit[idx]].tolist(),
            [None] * n, [None] * n, tk.handling_unit[idx].tolist(), _py_datetimes(tk.received_at[idx]),
            _py_datetimes(tk.due_at[idx]), _py_datetimes(shown_closed), status.tolist(),
            (reopened_at <= t).tolist(), [r or None for r in rating.tolist()], _py_datetimes(updated),
        )
        return list(map(dict, map(zip, repeat(TICKET_FIELDS), zip(*columns))))

    # ------------------------------------------------------------------ public: documents

    def document_counts(self, day: date) -> list[dict]:
        """DocumentCount dicts for every unit (communes and departments) and direction on `day`."""
        day = _as_day(day)
        cal = _calendar(day)
        i = cal.index(day)
        if i < 0:
            raise ValueError(f"{day} is before the demo calendar ({CALENDAR_ORIGIN})")
        rng = np.random.default_rng([self.seed, _STREAM_DOCUMENTS, day.toordinal()])
        level = 0.0 if day < DEMO_START else trend("document_level", day) * cal.document_factor[i] * self.scale
        p_electronic = trend("document_electronic", day)
        p_signed = min(1.0, trend("document_signed", day) / p_electronic)
        rows = []
        codes = self.unit_codes.tolist()
        for direction in ("incoming", "outgoing"):
            total = rng.poisson(self._document_rate[direction] * level)
            electronic = rng.binomial(total, p_electronic)
            signed = rng.binomial(electronic, p_signed)
            rows.extend({"unit_code": c, "day": day, "direction": direction, "total": a, "electronic": b,
                         "digitally_signed": s}
                        for c, a, b, s in zip(codes, total.tolist(), electronic.tolist(), signed.tolist()))
        return rows
