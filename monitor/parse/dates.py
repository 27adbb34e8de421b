"""Entry dates as timezone-aware UTC; missing, unreadable or implausible ones fall back to
the fetch time."""

from __future__ import annotations

import calendar
import email.utils
from datetime import UTC, datetime, timedelta
from time import struct_time

FUTURE_SLACK = timedelta(days=1)
OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime, fallback: datetime) -> datetime:
    """``moment`` in UTC, or ``fallback`` when it is far in the future or before 1995."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > fallback + FUTURE_SLACK or moment < OLDEST_PLAUSIBLE:
        return fallback
    return moment


def to_utc(parsed: struct_time | None, fallback: datetime) -> datetime:
    if not parsed:
        return fallback
    try:
        return _plausible(datetime.fromtimestamp(calendar.timegm(parsed), UTC), fallback)
    except (OverflowError, ValueError):
        return fallback


def parse_date(value: str | None, fallback: datetime) -> datetime:
    """An ISO 8601 / RFC 3339 date as UTC, else ``fallback``."""
    if not value:
        return fallback
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return _plausible(moment, fallback)


def parse_rfc822_date(value: str | None, fallback: datetime) -> datetime:
    """An RFC 822 date as UTC (any weekday name, English month), else ISO 8601, else
    ``fallback``. For dates feedparser gave up on, such as ``mer, 16 nov 2022 ...``."""
    if not value:
        return fallback
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return parse_date(value, fallback)
    return _plausible(moment, fallback)
