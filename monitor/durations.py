"""The one duration grammar used in the config and the CLI: ``30s``, ``15m``, ``2h``, ``7d``.

Points in time are either a duration back from now (``7d`` = seven days ago) or an ISO
date/datetime (``2026-11-01``, ``2026-11-01T08:00:00+01:00``); naive ones are read as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(value: str | int | float) -> int:
    """Seconds in ``value``: ``"15m"`` -> 900. Plain numbers are seconds.

    Raises ValueError with a message saying what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h, 7d)")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"negative duration: {value!r}")
        return int(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h, 7d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The shortest exact spelling: 900 -> ``15m``, 90 -> ``90s``."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_point_in_time(value: str, now: datetime | None = None) -> datetime:
    """A UTC datetime from ``7d`` (that long ago) or an ISO date/datetime."""
    now = now or datetime.now(UTC)
    if _DURATION.match(value):
        return now - timedelta(seconds=parse_duration(value))
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"not a point in time: {value!r} (use a duration like 7d or a date like 2026-11-01)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
