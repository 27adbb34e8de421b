"""Errors of news-monitor, one hierarchy with stable codes.

    MonitorError                 code "monitor.error"
    ├── ConfigError              config.*   bad setting, bad file, bad duration
    ├── RuleError                rule.*     (the rule engine)
    ├── FetchError               fetch.*    timeout, http_NNN, too_large, private_address...
    ├── ParseError               parse.*    malformed, not_a_feed, empty
    ├── StoreError               store.*    database problems
    └── NotifyError              notify.*   (alert delivery)

Every error carries a stable ``code`` (stored on the row it concerns and shown by the
CLI) and a message that starts with the stage and names the thing, e.g.
``fetch: https://x/feed: HTTP 429, retry at 2026-11-26T10:00:00+00:00``.
"""

from __future__ import annotations

from datetime import datetime


class MonitorError(Exception):
    """Base of every error the project raises on purpose."""

    stage = "monitor"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or f"{self.stage}.error"

    def __str__(self) -> str:
        return self.message


class ConfigError(MonitorError):
    stage = "config"


class RuleError(MonitorError):
    stage = "rule"


class FetchError(MonitorError):
    """A feed or page could not be fetched; ``retry_at`` is set when the server said when."""

    stage = "fetch"

    def __init__(
        self, url: str, reason: str, code: str, retry_at: datetime | None = None
    ) -> None:
        super().__init__(f"fetch: {url}: {reason}", code)
        self.url = url
        self.reason = reason
        self.retry_at = retry_at


class ParseError(MonitorError):
    stage = "parse"

    def __init__(self, url: str, reason: str, code: str) -> None:
        super().__init__(f"parse: {url}: {reason}", code)
        self.url = url
        self.reason = reason


class StoreError(MonitorError):
    stage = "store"


class NotifyError(MonitorError):
    stage = "notify"
