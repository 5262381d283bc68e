"""From an upstream row to a contract-shaped row: pick the mapped fields, normalise their values.

Only the contract's fields are carried over, so columns a source adds (a citizen's name, a phone
number) never travel further than this. Values are normalised, not validated: whatever is still
wrong is left for the contract to refuse, so the quarantine says why. Nothing here raises on a value.

An entry maps fields with `fields: {contract_field: upstream_name}`; unmapped fields keep their
contract name. Times without a zone are read in the entry's `timezone` when it gives one, and
otherwise left naive (the contract refuses them: the zone would be a guess).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from zoneinfo import ZoneInfo

import numpy as np

from ingest.contracts import CONTRACTS, RecordKind
from metrics.time import steady_offset

ORIGIN = "_origin"  # where a row came from (file:line, page): kept in the quarantine's raw payload
ID_FIELDS = {"dossier_id", "ticket_id", "unit_code", "procedure_code"}
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$")  # yyyyMMddHHmm[ss], the portal's format
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")  # dd/mm/yyyy [HH:MM[:SS]]
# Document directions as Vietnamese systems write them (văn bản đến / đi).
DIRECTIONS = {"incoming": "incoming", "outgoing": "outgoing", "in": "incoming", "out": "outgoing",
              "den": "incoming", "đến": "incoming", "di": "outgoing", "đi": "outgoing",
              "vb_den": "incoming", "vb_di": "outgoing"}
_TRUE = {"1", "true", "yes", "y", "x", "có", "co", "t"}
_FALSE = {"0", "false", "no", "n", "không", "khong", "f", ""}


@lru_cache(maxsize=None)
def contract_fields(kind: RecordKind) -> dict[str, str]:
    """Field name → 'time' | 'day' | 'bool' | 'int' | 'float' | 'id' | 'text' for a record kind."""
    out = {}
    for name, info in CONTRACTS[kind].model_fields.items():
        text = str(info.annotation)
        if "AwareDatetime" in text or "datetime" in text:
            out[name] = "time"
        elif name == "day":
            out[name] = "day"
        elif info.annotation is bool:
            out[name] = "bool"
        elif "int" in text:
            out[name] = "int"
        elif "float" in text:
            out[name] = "float"
        elif name in ID_FIELDS:
            out[name] = "id"
        else:
            out[name] = "text"
    return out


def required_fields(kind: RecordKind) -> set[str]:
    return {n for n, info in CONTRACTS[kind].model_fields.items() if info.is_required()}


def zone(name: str | None) -> ZoneInfo | None:
    return ZoneInfo(str(name)) if name else None


def parse_time(value, tz: ZoneInfo | None):
    """An aware datetime where the value reads as one; otherwise the value itself (the contract refuses it)."""
    if value.__class__ is str and len(value) == 14 and value.isascii() and value.isdigit():
        # The portal's yyyyMMddHHmmss, the common case, in C (the regex path cost ~15 µs a record).
        try:
            moment = datetime.fromisoformat(f"{value[:8]}T{value[8:]}")
        except ValueError:
            return value
        return moment.replace(tzinfo=tz) if tz is not None else moment
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            digits = str(int(value)) if value == int(value) else ""
            if len(digits) not in (12, 14):  # a bare number is no time (epoch seconds? ms?): let it be refused
                return f"{value!r} (a number, not a time)"
            moment = parse_time(digits, None)
            if not isinstance(moment, datetime):
                return moment
        elif isinstance(value, str):
            text = value.strip()
            if m := _COMPACT.match(text):
                moment = datetime(*(int(g or 0) for g in m.groups()))
            elif m := _DMY.match(text):
                d, mo, y, hh, mm, ss = (int(g or 0) for g in m.groups())
                moment = datetime(y, mo, d, hh, mm, ss)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        else:
            return value
    except (ValueError, OverflowError, TypeError):
        return value
    if moment.tzinfo is None and tz is not None:
        moment = moment.replace(tzinfo=tz)
    return moment


def parse_day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if m := _DMY.match(text):
            try:
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                return value
        if len(text) == 8 and text.isdigit():
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                return value
    return value


def as_id(value):
    """Identifiers arrive as numbers or strings: 123, 123.0 and "123" are the same id."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def as_bool(value):
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def normalise(kind: str, value, tz: ZoneInfo | None):
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if value is None:
        return None
    if kind == "time":
        return parse_time(value, tz)
    if kind == "day":
        return parse_day(value)
    if kind == "id":
        return as_id(value)
    if kind == "bool":
        return as_bool(value)
    return value


@lru_cache(maxsize=64)
def _plan(kind: RecordKind, fields: tuple = ()) -> tuple:
    """(contract field, upstream key, field kind) for each contract field: looked up once per mapping."""
    renamed = dict(fields)
    return tuple((name, renamed.get(name, name), field_kind) for name, field_kind in contract_fields(kind).items())


def project(row, kind: RecordKind, fields: dict | None = None, tz: ZoneInfo | None = None,
            origin: str | None = None) -> dict:
    """The contract's fields of `row` (renamed by `fields`), normalised; absent or empty fields left out
    so the contract's defaults apply (and a missing required field is named in the quarantine)."""
    if not isinstance(row, dict):
        return {ORIGIN: origin, "_not_a_record": repr(row)[:500]} if origin else {"_not_a_record": repr(row)[:500]}
    out = {}
    # normalise() unrolled, with the portal's common values (compact times, 0/1 flags) inline: this runs
    # for every field of every row a source sends (the calls cost more than the work).
    for name, key, field_kind in _plan(kind, tuple(sorted(fields.items())) if fields else ()):
        if key not in row:
            continue
        value = row[key]
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        elif value is None:
            continue
        if field_kind == "time":
            if value.__class__ is str and len(value) == 14 and value.isascii() and value.isdigit():
                try:
                    value = datetime.fromisoformat(f"{value[:8]}T{value[8:]}")
                    if tz is not None:
                        value = value.replace(tzinfo=tz)
                except ValueError:
                    pass  # as parse_time: the value itself, for the contract to refuse
            else:
                value = parse_time(value, tz)
        elif field_kind == "bool":
            value = (value == 1) if value.__class__ is int and (value == 0 or value == 1) else as_bool(value)
        elif field_kind == "id":
            if value.__class__ is not str:
                value = as_id(value)
        elif field_kind == "day":
            value = parse_day(value)
        out[name] = value
    if kind is RecordKind.document_count and isinstance(out.get("direction"), str):
        out["direction"] = DIRECTIONS.get(out["direction"].lower(), out["direction"])
    if origin is not None:
        out[ORIGIN] = origin
    return out


MISSING = object()  # a field the row does not carry (or carries empty): left out of the projected row
_FLAGS = frozenset((0, 1))


def _value(value, field_kind: str, tz: ZoneInfo | None):
    """One field's value as `project` normalises it; MISSING where `project` leaves the field out."""
    if value is MISSING or value is None:
        return MISSING
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return MISSING
    if field_kind == "time":
        return parse_time(value, tz)
    if field_kind == "bool":
        return (value == 1) if value.__class__ is int and (value == 0 or value == 1) else as_bool(value)
    if field_kind == "id":
        return value if value.__class__ is str else as_id(value)
    if field_kind == "day":
        return parse_day(value)
    return value


def _column(values: list, field_kind: str, tz: ZoneInfo | None) -> tuple[list, bool]:
    """A column of values normalised as `project` does, the portal's usual forms inline; and whether it may hold
    MISSING (only where a value went through `_value`)."""
    value_of = _value
    if field_kind == "time":
        out = compact_times(values, tz)
        others = [i for i, moment in enumerate(out) if moment is None]  # what is not a plain compact time
        for i in others:
            out[i] = value_of(values[i], field_kind, tz)
        return out, bool(others)
    # The portal's usual columns are taken whole, checked by loops in C (issue 3: the per-value loops below cost
    # ~1.5 µs a dossier over its 14 flag, count, id and text columns).
    types = set(map(type, values))
    if field_kind == "bool":
        if types == {int} and _FLAGS.issuperset(values):
            return list(map(bool, values)), False
        return [(v == 1) if v.__class__ is int and (v == 0 or v == 1) else value_of(v, field_kind, tz)
                for v in values], True
    if field_kind == "int":
        if types == {int}:
            return values, False
        return [v if v.__class__ is int else value_of(v, field_kind, tz) for v in values], True
    if field_kind in ("id", "text"):  # a plain string with nothing to strip is kept as it is (strip returns it)
        if types == {str} and "" not in values and list(map(str.strip, values)) == values:
            return values, False
        return [v if v.__class__ is str and v and v.strip() is v else value_of(v, field_kind, tz)
                for v in values], True
    return [value_of(v, field_kind, tz) for v in values], True


_NOT_COMPACT, _SEPARATOR = " " * 14, "\0"
# Compact times outside these days (since 1970) are left to parse_time.
_FIRST_DAY, _LAST_DAY = (date(1900, 1, 1) - date(1970, 1, 1)).days, (date(2999, 12, 31) - date(1970, 1, 1)).days


def compact_times(values: list, tz: ZoneInfo | None) -> list:
    """The portal's yyyyMMddHHmmss values of a column parsed all at once (numpy), as the same aware datetimes
    `parse_time` gives one at a time; None where a value is anything else, or falls on a day whose UTC offset
    changes in `tz` (both left to `parse_time`). One value at a time, parsing and `replace(tzinfo=…)` cost ~1 µs
    a value, more than a third of mapping a dossier (issue 3); here ~0.3 µs."""
    out: list = [None] * len(values)
    if tz is None or not values:
        return out
    # 14 characters a value, one ASCII byte each ('?' for any other): whatever is not 14 digits fails the checks
    # below. The usual page, only 14-character strings, is joined without looking at each value.
    try:
        text = _SEPARATOR.join(values) + _SEPARATOR
        aligned = len(text) == 15 * len(values) and text.count(_SEPARATOR) == len(values) and \
            text[14::15] == _SEPARATOR * len(values)
    except TypeError:  # not all strings
        aligned = False
    if not aligned:
        text = "".join([v if v.__class__ is str and len(v) == 14 else _NOT_COMPACT for v in values])
    data = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8).reshape(len(values), 15 if aligned else 14)
    digits = data[:, :14].astype(np.int64) - 48
    plain = ((digits >= 0) & (digits <= 9)).all(axis=1)
    d = np.where(plain[:, None], digits, 0)

    def number(first: int, last: int) -> np.ndarray:
        return d[:, first:last] @ (10 ** np.arange(last - first - 1, -1, -1))

    year, month, day = number(0, 4), number(4, 6), number(6, 8)
    hour, minute, second = number(8, 10), number(10, 12), number(12, 14)
    plain &= (month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59) & (second <= 59)
    months = np.where(plain, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = (months.astype("datetime64[D]") + np.where(plain, day - 1, 0)).astype(np.int64)
    plain &= (days.astype("datetime64[D]").astype("datetime64[M]") == months)  # no 30 February
    plain &= (days >= _FIRST_DAY) & (days <= _LAST_DAY)
    if not plain.any():
        return out
    at = np.flatnonzero(plain)
    local_days, which_day = np.unique(days[at], return_inverse=True)
    found = [steady_offset(tz, local_day) for local_day in local_days.tolist()]
    steady = np.array([offset is not None for offset in found])
    offsets = np.array([offset or 0 for offset in found], dtype=np.int64)
    keep = steady[which_day]
    at, which_day = at[keep], which_day[keep]
    if not len(at):
        return out
    utc = days[at] * 86400 + hour[at] * 3600 + minute[at] * 60 + second[at] - offsets[which_day]
    instants, which = np.unique(utc, return_inverse=True)  # a page repeats times (due at 17:00): one object each
    moments = list(map(datetime.fromtimestamp, instants.tolist(), repeat(tz)))
    picked = itemgetter(*which.tolist())(moments) if len(which) > 1 else (moments[which[0]],)
    if len(at) == len(values):
        return list(picked)
    for i, moment in zip(at.tolist(), picked):
        out[i] = moment
    return out


def project_columns(columns: dict[str, list], count: int, kind: RecordKind, tz: ZoneInfo | None = None,
                    origin: str | None = None) -> list[dict]:
    """`project` for a page at a time: `columns` holds each contract field's raw values (MISSING where a row
    has none), already under the contract's names. The same rows as `project` row by row, for a fraction of
    the time (the per-row, per-field Python calls were most of a pull's mapping)."""
    names, normalised, gaps = [], [], []
    for name, field_kind in contract_fields(kind).items():
        if name in columns:
            values, may_miss = _column(columns[name], field_kind, tz)
            names.append(name)
            normalised.append(values)
            gaps.append(may_miss)
    if origin is not None:
        names.append(ORIGIN)
        normalised.append([origin] * count)
    rows = list(map(dict, map(zip, repeat(names), zip(*normalised)))) if normalised else [{} for _ in range(count)]
    for name, values, may_miss in zip(names, normalised, gaps):
        if may_miss and MISSING in values:  # compared in C, identity first
            for row, v in zip(rows, values):
                if v is MISSING:
                    del row[name]
    if kind is RecordKind.document_count:
        for row in rows:
            if isinstance(row.get("direction"), str):
                row["direction"] = DIRECTIONS.get(row["direction"].lower(), row["direction"])
    return rows


def mapping_option(options: dict, kind: RecordKind, source_name: str) -> dict[str, str]:
    """The entry's `fields` mapping, checked against the contract (a typo is a configuration error)."""
    fields = options.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError(f"source {source_name!r}: `fields` must map contract fields to upstream names")
    unknown = set(fields) - set(contract_fields(kind))
    if unknown:
        raise ValueError(f"source {source_name!r}: `fields` names no {kind.value} field {sorted(unknown)}")
    return {str(k): str(v) for k, v in fields.items()}


def record_kind_option(options: dict, source_name: str) -> RecordKind:
    value = options.get("record_kind")
    try:
        return RecordKind(str(value))
    except ValueError:
        raise ValueError(f"source {source_name!r}: `record_kind` must be one of "
                         f"{', '.join(k.value for k in RecordKind)}, got {value!r}") from None


def first_moment(options: dict, tz: ZoneInfo | None = None) -> datetime:
    """Where a first pull (no watermark yet) begins: the entry's `start` (a date or a time), else 1 July 2025."""
    from metrics.time import TZ

    value = options.get("start", "2025-07-01")
    moment = parse_time(value if isinstance(value, (str, date)) else str(value), tz or TZ)
    if not isinstance(moment, datetime):
        raise ValueError(f"`start` {value!r}: write a date (2025-07-01) or a time with its zone")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz or TZ)


def seconds_option(options: dict, key: str, default: str) -> float:
    from ingest.sources import parse_interval

    return parse_interval(options.get(key, default)).total_seconds() if options.get(key, default) not in (0, "0") \
        else 0.0
