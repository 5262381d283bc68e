"""The city's clock: every local date the product shows or groups by is in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from config import TIMEZONE

TZ = ZoneInfo(TIMEZONE)


def now() -> datetime:
    return datetime.now(timezone.utc)


def local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


@lru_cache(maxsize=65536)
def steady_offset(tz: ZoneInfo, local_day: int) -> int | None:
    """`tz`'s UTC offset in whole seconds all through a local day (days since 1970); None if it changes that day,
    or at either of its ends (a repeated hour at midnight: 23:00–24:00 twice, fold 0 and 1). Times of a steady day
    convert with one offset, a column at a time (issue 3)."""
    midnight = datetime(1970, 1, 1) + timedelta(days=local_day)
    last = midnight + timedelta(seconds=86399)
    offsets = {tz.utcoffset(moment.replace(fold=fold)) for moment in (midnight, last) for fold in (0, 1)}
    first = offsets.pop()
    if offsets or first is None or first.total_seconds() % 1:
        return None
    return int(first.total_seconds())


def duration_text(seconds, sep: str = "") -> str:
    """A lag or interval for people: 45s, 3m05s, 2h10m, 4d06h ('3m 05s' with sep=' ')."""
    if seconds is None:
        return "–"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{sep}{hours:02d}h"
    if hours:
        return f"{hours}h{sep}{minutes:02d}m"
    return f"{minutes}m{sep}{secs:02d}s" if minutes else f"{secs}s"
