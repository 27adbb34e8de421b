"""The optional status endpoint on the loopback interface (setting ``status.listen``):

    GET /healthz   200 {"status": "ok", ...} while the event loop answers and polls run;
                   503 when no poll has ended for longer than a poll may take (three
                   ticks plus the fetch deadline)
    GET /metrics   Prometheus text format (prometheus-client): polls by status, feed errors
                   by code, articles stored, hits, deliveries sent and failed, deliveries
                   pending (read from the database at each scrape), loop lag

A few lines of HTTP over ``asyncio.start_server``: one request per connection, GET only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from monitor.models import PollResult

log = logging.getLogger(__name__)

LAG_EVERY = 1.0  # seconds between two loop-lag probes


@dataclass
class Metrics:
    """The daemon's counters, in a registry of their own."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.polls = Counter("newsmon_polls", "feed polls by outcome", ["status"], registry=r)
        self.errors = Counter("newsmon_feed_errors", "failed polls by error code", ["code"],
                              registry=r)
        self.articles = Counter("newsmon_articles", "articles stored (new and updated)",
                                registry=r)
        self.hits = Counter("newsmon_hits", "rule hits stored", registry=r)
        self.sent = Counter("newsmon_deliveries_sent", "alert deliveries sent", registry=r)
        self.failed = Counter("newsmon_delivery_failures", "failed delivery attempts",
                              registry=r)
        self.pending = Gauge("newsmon_deliveries_pending", "deliveries not yet sent",
                             registry=r)
        self.lag = Gauge("newsmon_loop_lag_seconds", "how late the event loop ran a timer",
                         registry=r)
        self.last_tick = time.monotonic()
        self.lag_seconds = 0.0

    def polled(self, results: Sequence[PollResult]) -> None:
        self.last_tick = time.monotonic()
        for result in results:
            self.polls.labels(result.status).inc()
            if result.error_code:
                self.errors.labels(result.error_code).inc()
            self.articles.inc(result.new + result.updated)
            self.hits.inc(result.hits)

    def delivered(self, sent: int, failed: int) -> None:
        self.sent.inc(sent)
        self.failed.inc(failed)


async def measure_lag(metrics: Metrics, stop: asyncio.Event) -> None:
    """How late a one-second timer fires: a blocked loop shows here first."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        expected = loop.time() + LAG_EVERY
        try:
            await asyncio.wait_for(stop.wait(), timeout=LAG_EVERY)
        except TimeoutError:
            metrics.lag_seconds = max(0.0, loop.time() - expected)
            metrics.lag.set(metrics.lag_seconds)


async def serve(listen: str, metrics: Metrics, stall_after: float,
                pending: Callable[[], Awaitable[int]]) -> asyncio.Server:
    """Start the endpoint on ``listen`` ("127.0.0.1:9120")."""
    host, _, port = listen.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)).strip():
                pass  # headers
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else ""
            if parts[:1] != ["GET"]:
                status, kind, body = 405, "text/plain", b"GET only\n"
            elif path == "/metrics":
                metrics.pending.set(await pending())
                status, kind, body = (200, "text/plain; version=0.0.4",
                                      generate_latest(metrics.registry))
            elif path == "/healthz":
                since = time.monotonic() - metrics.last_tick
                healthy = since <= stall_after
                status, kind = (200 if healthy else 503), "application/json"
                body = json.dumps({"status": "ok" if healthy else "stalled",
                                   "seconds_since_poll_tick": round(since, 1),
                                   "loop_lag_seconds": round(metrics.lag_seconds, 3)}).encode()
            else:
                status, kind, body = 404, "text/plain", b"try /healthz or /metrics\n"
            writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                         f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):  # slow, gone, or a huge line
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host or "127.0.0.1", int(port))
    log.info("status endpoint on http://%s/healthz and /metrics", listen,
             extra={"stage": "status"})
    return server
