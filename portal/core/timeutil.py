"""Time helpers: everything is stored in UTC and shown in the viewer's zone."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRAMME_ZONES = ("Europe/Berlin", "Asia/Shanghai")


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@cache
def timezone_names() -> tuple[str, ...]:
    """All IANA zone names a user may choose, the programme's two zones first."""
    others = sorted(name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    return PROGRAMME_ZONES + tuple(name for name in others if name not in PROGRAMME_ZONES)


def is_valid_timezone(name: str) -> bool:
    """Whether name is a zone the portal offers."""
    return name in timezone_names()


def in_zone(moment: dt.datetime, zone: str | ZoneInfo) -> dt.datetime:
    """The same moment expressed in another zone."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return moment.astimezone(tz)
