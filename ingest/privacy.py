"""Personal data never reaches the store: free text is scrubbed of e-mail addresses, phone numbers,
ID numbers and names introduced by a form of address, before validation and before quarantine.

The contracts have no field for a person; what can still leak is free text an upstream system lets
its clerks type (a category "Phản ánh của ông Nguyễn Văn A, 0903 123 456"). A scrubbed value keeps the
rest of the text, so the record still counts (dropping it would lose a record) and no person is kept.
The name rule is a heuristic: a lower-case form of address (ông, bà, anh, chị, ...) or a "họ tên:"
label followed by capitalised words; "phường Bà Rịa" (a place, capitalised) is left alone.
"""
from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter

MASK = "[đã ẩn]"
# The contract fields that hold text a person may have typed (ids and codes are not free text).
FREE_TEXT_FIELDS = ("procedure_name", "sector", "category", "handling_unit")

_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x1EFF + 1)) if ch.isalpha() and ch.isupper())
_CAPITALISED = rf"[{_UPPER}][^\W\d_]*"

EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Vietnamese mobile and fixed lines: 0 or +84 then 9–10 digits, digits optionally grouped by space, dot or dash.
PHONE = re.compile(r"(?<![\w.])(?:\+84|84|0)[\s.\-]?\d(?:[\s.\-]?\d){7,9}(?!\d)")
# CMND (9 digits), CCCD / personal identification number (12 digits), alone.
ID_NUMBER = re.compile(r"(?<![\w.])(?:\d{12}|\d{9})(?![\w.])")
NAME = re.compile(
    rf"(?:\b(?:ông|bà|anh|chị|cô|chú|bác|em|cụ)\s+|(?i:\bhọ\s+(?:và\s+)?tên\s*:?\s*))"
    rf"{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,4}}")
PATTERNS = (EMAIL, PHONE, ID_NUMBER, NAME)


def contains_personal_data(text: str) -> bool:
    return any(p.search(text) for p in PATTERNS)


@lru_cache(maxsize=65536)  # free text repeats (procedure names, categories): one regex pass per distinct value
def scrub_text(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def scrub_row(row):
    """The row with its free-text fields scrubbed (the same object when nothing had to change)."""
    if not isinstance(row, dict):
        return row
    changed = None
    for name in FREE_TEXT_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value:
            clean = scrub_text(value) if len(value) < 4096 else scrub_text.__wrapped__(value)
            if clean is not value and clean != value:
                changed = changed or dict(row)
                changed[name] = clean
    return changed if changed is not None else row


def scrub_rows(rows: list) -> list:
    """`scrub_row` for a batch: each free-text field's distinct values are looked at once, so a batch with nothing
    to scrub (the usual one: procedure names and sectors repeat) comes back as it is (per row, ~1 µs a record)."""
    if set(map(type, rows)) - {dict}:
        return [scrub_row(row) for row in rows]
    for name in FREE_TEXT_FIELDS:
        try:
            try:
                distinct = set(map(itemgetter(name), rows))  # the loop in C, when every row has the field
            except KeyError:
                distinct = {row.get(name) for row in rows}
        except TypeError:  # an unhashable value where text belongs: row by row
            return [scrub_row(row) for row in rows]
        for value in distinct:
            if isinstance(value, str) and value and scrub_row({name: value})[name] is not value:
                return [scrub_row(row) for row in rows]
    return rows


def scrub_payload(value, depth: int = 0):
    """Every string inside a raw payload scrubbed, for the quarantine (which keeps what failed, as given)."""
    if depth > 20:
        return "[…]"
    if isinstance(value, str):
        return scrub_text.__wrapped__(value) if len(value) >= 4096 else scrub_text(value)
    if isinstance(value, dict):
        return {str(k): scrub_payload(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_payload(v, depth + 1) for v in value]
    return value

