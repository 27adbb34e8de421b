"""When a feed is polled next: its interval (never shorter than what the publisher asks
through ``<ttl>`` or ``Cache-Control: max-age``), spread with jitter so feeds added
together drift apart, and exponential backoff after failures.

Jitter is drawn from a generator seeded with the feed and the moment, so a given poll
always gets the same next check (tests and replays are deterministic).
"""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta

JITTER = 0.1  # +/- share of the interval


def _rng(key: str, now: datetime) -> random.Random:
    return random.Random(zlib.crc32(f"{key}|{now.isoformat()}".encode()))


def effective_interval(configured: int, cache_ttl: int | None, max_interval: int) -> int:
    """The configured interval, raised to the publisher's ``<ttl>``/max-age (capped)."""
    return max(configured, min(cache_ttl or 0, max_interval))


def first_check(url: str, now: datetime, spread: int) -> datetime:
    """A new feed's first poll, spread over ``spread`` seconds from ``now``."""
    offset = (zlib.crc32(url.encode()) % 1000) / 1000 * spread
    return now + timedelta(seconds=offset)


def after_success(key: str, now: datetime, interval: int) -> datetime:
    factor = 1 + _rng(key, now).uniform(-JITTER, JITTER)
    return now + timedelta(seconds=interval * factor)


def after_failure(key: str, now: datetime, interval: int, error_count: int,
                  max_backoff: int, retry_at: datetime | None = None) -> datetime:
    """``error_count`` counts this failure: the 1st waits one interval, then 2x, 4x...
    up to ``max_backoff``. A server's Retry-After is honoured as a floor (never sooner than
    it asks, never later than ``max_backoff``): a ``Retry-After: 0`` does not cancel the
    backoff."""
    delay = min(interval * 2 ** max(error_count - 1, 0), max_backoff)
    factor = 1 + _rng(key, now).uniform(-JITTER, JITTER)
    backoff = now + timedelta(seconds=min(delay * factor, max_backoff))
    if retry_at is None:
        return backoff
    return min(max(retry_at, backoff), now + timedelta(seconds=max_backoff))
