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
