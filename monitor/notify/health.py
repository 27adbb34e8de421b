"""Feed health alerts: one message when a feed breaks or falls silent, one when it recovers;
never one per poll.

A feed is **failing** when every poll has failed for longer than ``notify.health_after``
(counted from its first failure in a row), **silent** when it polls fine but had, at its
last good poll, no new article for ``notify.silence_factor`` times its usual gap between
articles (the median gap between the distinct times of its last 20; five at least to know
it), and never less than ``notify.silence_min``. Its state is kept on its row
(``feeds.health``); a message is made when the state changes. A feed failing for less than
``health_after`` keeps the state it had, so a short outage of a silent feed does not read
as a recovery.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.config import NotifySettings

OK, FAILING, SILENT = "ok", "failing", "silent"
MIN_ARTICLES = 5  # articles needed to know a feed's cadence


@dataclass(frozen=True)
class Change:
    feed_id: int
    state: str
    title: str
    text: str

    @property
    def recovered(self) -> bool:
        return self.state == OK


def changes(feeds: Iterable[Mapping[str, Any]], now: datetime,
            settings: NotifySettings) -> list[Change]:
    """The feeds whose health state changes now, with the message that says so."""
    found = []
    for feed in feeds:
        state, text = _assess(feed, now, settings)
        if state == feed["health"]:
            continue
        name = feed["name"]
        if state == OK:
            was = "broken" if feed["health"] == FAILING else "silent"
            since = _when(feed["health_since"])
            found.append(Change(feed["id"], OK, f"Feed recovered: {name}",
                                f"{feed['url']} works again (it was {was} since {since})."))
        else:
            title = "Feed broken" if state == FAILING else "Feed silent"
            found.append(Change(feed["id"], state, f"{title}: {name}", text))
    return found


def _assess(feed: Mapping[str, Any], now: datetime,
            settings: NotifySettings) -> tuple[str, str]:
    if feed["error_count"]:
        since = datetime.fromisoformat(feed["failing_since"] or feed["last_success_at"]
                                       or feed["created_at"])
        if now - since < timedelta(seconds=settings.health_after):
            return feed["health"], ""  # not for long enough to say
        return FAILING, (
            f"{feed['url']} has failed every poll since {_when(since.isoformat())} "
            f"({feed['error_count']} failures); last error {feed['last_error_code']}: "
            f"{feed['last_error']}. See `newsmon feeds list`.")
    times = sorted({datetime.fromisoformat(p) for p in feed["published"]}, reverse=True)
    checked = feed["last_success_at"]
    if len(times) >= MIN_ARTICLES and checked:
        # distinct times only (a feed that publishes in batches has no 0 gaps); silent up to
        # the last good poll, not up to now: after the daemon's own downtime nothing is
        # silent before it has been polled again
        gap = statistics.median((a - b).total_seconds() for a, b in itertools.pairwise(times))
        polled = min(datetime.fromisoformat(checked), now)
        quiet = (polled - min(times[0], polled)).total_seconds()
        if quiet > max(settings.silence_factor * gap, settings.silence_min):
            return SILENT, (f"{feed['url']} has had no new article for {_rough(quiet)}; "
                            f"it usually publishes one every {_rough(gap)}.")
    return OK, ""


def _rough(seconds: float) -> str:
    """A duration rounded to its largest unit: 3d, 5h, 20m."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= (2 * size if unit == "d" else size) or unit == "m":
            return f"{max(round(seconds / size), 1)}{unit}"
    return ""


def _when(value: str | None) -> str:
    if not value:
        return "its start"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
