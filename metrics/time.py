"""The city's clock: every local date the product shows or groups by is in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from config import TIMEZONE

TZ = ZoneInfo(TIMEZONE)


def now() -> datetime:
    return datetime.now(timezone.utc)


def local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


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
