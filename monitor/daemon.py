"""The daemon: builds the parts (client, fetcher, store, detector, pipeline), syncs the
config's feeds into the database, and polls on a schedule.

One APScheduler job ticks (``coalesce=True``, ``max_instances=1``) and asks the pipeline
to poll the feeds that are due; per-feed timing lives in the database. ``run_once`` is
the same poll in burst mode (``newsmon run --once``). Shutdown is ours: stop ticking,
give in-flight polls ``schedule.grace_period`` to finish, cancel the rest, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import schedule
from monitor.config import Config
from monitor.errors import RuleError
from monitor.fetch import Fetcher, build_client
from monitor.language import make_detector
from monitor.match import load_matcher
from monitor.match.rules import RuleSpec
from monitor.models import PollResult
from monitor.notify.routing import Router
from monitor.notify.sender import Sender
from monitor.pipeline import Pipeline
from monitor.status import Metrics, measure_lag, serve
from monitor.store import Store, feeds

log = logging.getLogger(__name__)


def sd_notify(message: str) -> None:
    """Tell systemd (``Type=notify``) about our state; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError as exc:
            log.warning("cannot notify systemd: %s", exc)


class Daemon:
    def __init__(self, config: Config, database: Path | None = None) -> None:
        self.config = config
        self.database = database or config.database_path()
        self.store = Store(self.database)
        self.client = build_client(config.fetch)
        self.fetcher = Fetcher(self.client, config.fetch)
        self.pipeline = Pipeline(config, self.store, self.fetcher,
                                 make_detector(config.language.detector))
        self.metrics = Metrics()
        self.sender = Sender(config, self.store, self._rules_by_id,
                             on_step=self.metrics.delivered)
        self.pipeline.notifier = self.sender
        self._stopping: asyncio.Event | None = None
        self._reloading: asyncio.Future[None] | None = None
        self._pending_sync = False
        self._stamp: tuple[tuple[str, int, int], ...] = ()
        self._inflight: set[asyncio.Task[list[PollResult]]] = set()
        self._closed = False

    async def start(self) -> None:
        """Open the database and sync the config's feeds into it."""
        await self._sync_feeds()
        self.load_rules()

    async def _sync_feeds(self) -> None:
        specs = self.config.feeds
        now = datetime.now(UTC)
        spread = self.config.schedule.startup_spread
        firsts = [schedule.first_check(s.url, now, spread) for s in specs]
        added, updated = await self.store.run(feeds.sync_config_feeds, specs, firsts)
        log.info("database %s ready; config feeds: %d added, %d updated", self.database,
                 added, updated, extra={"stage": "store"})

    def load_rules(self) -> None:
        """Load the rules of ``rules_dir``. A broken rules folder is logged with every
        problem (file:line:col) and the rules already loaded are kept (none at start)."""
        path = self.config.rules_path()
        self._stamp = self._rules_stamp()
        try:
            matcher = load_matcher(path)
        except RuleError as exc:
            kept = "the rules loaded before" if self.pipeline.matcher else "no rules"
            log.error("%s\nkeeping %s; fix them (`newsmon rules check`)", exc, kept,
                      extra={"error_code": exc.code, "stage": "match"})
            return
        self.pipeline.matcher = matcher
        self.pipeline.router = Router(self.config, matcher.rules)
        defined = {channel.name for channel in self.config.channels}
        for rule in matcher.rules:
            missing = [name for name in rule.notify.channels if name not in defined]
            if missing:
                log.error("rule %s names channel(s) %s, which the config does not define; "
                          "its alerts wait in the outbox until a [channels.NAME] table exists",
                          rule.id, ", ".join(missing),
                          extra={"stage": "notify", "error_code": "notify.unknown_channel"})
        log.info("%d rule(s) loaded from %s", len(matcher.rules), path,
                 extra={"stage": "match"})

    def _rules_stamp(self) -> tuple[tuple[str, int, int], ...]:
        """Every rule and concept file with its size and modification time."""
        folder = self.config.rules_path()
        found = []
        for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else []:
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((str(path), info.st_size, info.st_mtime_ns))
        return tuple(found)

    def _rules_by_id(self) -> dict[str, RuleSpec]:
        matcher = self.pipeline.matcher
        return {rule.id: rule for rule in matcher.rules} if matcher else {}

    async def _spread_overdue(self) -> None:
        """After downtime every feed is overdue: spread them instead of polling all at once."""
        now = datetime.now(UTC)
        overdue = await self.store.run(feeds.overdue_feeds, now)
        spread = self.config.schedule.startup_spread
        await self.store.run(feeds.spread_overdue, {
            feed_id: schedule.first_check(url, now, spread) for feed_id, url in overdue})

    async def run_once(self, include_all: bool = False) -> list[PollResult]:
        """One poll, then the alerts: sending (and retrying) goes on for at most
        ``notify.once_wait``; what is still unsent stays in the outbox for the next run."""
        await self.start()
        results = await self.pipeline.poll(include_all=include_all)
        sent, failed = await self.sender.drain(self.config.notify.once_wait)
        if sent or failed:
            log.info("notify: %d delivery(ies) sent, %d attempt(s) failed", sent, failed,
                     extra={"stage": "notify"})
        return results

    async def run_forever(self) -> None:
        """Tick until SIGINT/SIGTERM (or :meth:`stop`), then shut down within the grace period."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._stopping = asyncio.Event()
        await self.start()
        await self._spread_overdue()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._hangup)
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self._tick, "interval", seconds=self.config.schedule.tick,
                          next_run_time=datetime.now(UTC), coalesce=True, max_instances=1,
                          id="poll", misfire_grace_time=None)
        scheduler.start()
        scheduler.add_job(self._prune, "interval", days=1, next_run_time=datetime.now(UTC),
                          coalesce=True, max_instances=1, id="prune", misfire_grace_time=None)
        sending = asyncio.create_task(self.sender.run(self._stopping))
        watchdog = asyncio.create_task(self._watchdog(self._stopping))
        lag = asyncio.create_task(measure_lag(self.metrics, self._stopping))
        endpoint = await self._serve_status()
        sd_notify("READY=1")
        log.info("daemon started, polling every %ss", self.config.schedule.tick)
        try:
            await self._stopping.wait()
        finally:
            sd_notify("STOPPING=1")
            scheduler.pause()  # no new ticks; the one in flight finishes or is abandoned
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await self._drain()
            scheduler.shutdown(wait=False)
            watchdog.cancel()
            lag.cancel()
            if endpoint is not None:
                endpoint.close()
            try:  # it starts no new send; one in flight gets the grace period
                await asyncio.wait_for(sending, timeout=self.config.schedule.grace_period)
            except TimeoutError:
                log.warning("stopping: a delivery still in flight was abandoned; it stays "
                            "pending and is sent again after the restart",
                            extra={"stage": "notify"})

    def _hangup(self) -> None:
        """SIGHUP: reload the config file and the rules; what is broken keeps the old."""
        self._reloading = asyncio.ensure_future(self.reload())

    async def reload(self) -> None:
        """Read the config file again and the rules: a broken config is logged with its line
        and the running one kept; broken rules are logged (file:line:col) and the loaded
        ones kept. Channels, notify, dedup and language settings, default and health
        channels, the rules folder and the config's feeds take effect now; fetch and
        schedule settings at the next start."""
        from monitor import config as config_module
        from monitor.errors import ConfigError

        sd_notify("RELOADING=1")
        try:
            if self.config.source:
                try:
                    fresh = config_module.load(Path(self.config.source))
                except ConfigError as exc:
                    log.error("SIGHUP: %s; keeping the config loaded before", exc.message,
                              extra={"error_code": exc.code, "stage": "config"})
                else:
                    self._apply(fresh)
            self.load_rules()
            log.info("SIGHUP: config and rules reloaded", extra={"stage": "config"})
        finally:
            sd_notify("READY=1")

    def _apply(self, fresh: Config) -> None:
        if (fresh.fetch, fresh.schedule) != (self.config.fetch, self.config.schedule):
            log.warning("SIGHUP: [fetch] and [schedule] changes take effect at the next start",
                        extra={"stage": "config"})
        fresh = dataclasses.replace(fresh, fetch=self.config.fetch,
                                    schedule=self.config.schedule)
        self.config = fresh
        self.pipeline.config = fresh
        self.sender.config = fresh
        self.sender.channels = {channel.name: channel for channel in fresh.channels}
        if self.pipeline.matcher is not None:  # the new routing, even if the rules stay old
            self.pipeline.router = Router(fresh, self.pipeline.matcher.rules)
        self._pending_sync = True


    async def _serve_status(self) -> asyncio.Server | None:
        """The status endpoint (``status.listen``); a port in use is logged, not fatal."""
        listen = self.config.status.listen
        if not listen:
            return None

        async def pending() -> int:
            from monitor.store.outbox import pending_count

            return await self.store.run(pending_count)

        try:
            stall = 3 * self.config.schedule.tick + self.config.fetch.deadline
            return await serve(listen, self.metrics, stall, pending)
        except (OSError, ValueError) as exc:
            log.error("status endpoint on %s: %s; running without it", listen, exc,
                      extra={"stage": "status", "error_code": "config.status_listen"})
            return None

    async def _prune(self) -> None:
        """The daily retention job (``store.retention``; 0, also after a reload: nothing)."""
        from monitor.store.maintenance import prune

        if not self.config.store.retention:
            return
        before = datetime.now(UTC) - timedelta(seconds=self.config.store.retention)
        try:
            count = await self.store.run(prune, before)
        except Exception:  # logged; tomorrow's run tries again
            log.exception("retention: pruning failed", extra={"stage": "store"})
            return
        log.info("retention: text of %d article(s) older than %s pruned", count,
                 before.date(), extra={"stage": "store"})

    @staticmethod
    async def _watchdog(stop: asyncio.Event) -> None:
        """Ping systemd's watchdog (``WatchdogSec=``) at half its interval from the event
        loop itself: a stuck loop stops the pings and systemd restarts the service; a long
        poll does not, since polls do not block the loop."""
        interval = int(os.environ.get("WATCHDOG_USEC", "0") or 0) / 2e6
        if interval <= 0 or os.environ.get("WATCHDOG_PID", str(os.getpid())) != str(os.getpid()):
            return
        while not stop.is_set():
            sd_notify("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def stop(self) -> None:
        log.info("stopping: no new polls, waiting for in-flight ones")
        if self._stopping is not None:
            self._stopping.set()

    async def _tick(self) -> None:
        if self._stopping is not None and self._stopping.is_set():
            return
        if self._pending_sync:  # the reloaded config's [[feeds]]
            self._pending_sync = False
            await self._sync_feeds()
        if self.config.watch_rules and self._rules_stamp() != self._stamp:
            log.info("rules changed in %s: reloading", self.config.rules_path(),
                     extra={"stage": "match"})
            self.load_rules()
        task = asyncio.create_task(self.pipeline.poll())
        self._inflight.add(task)
        try:
            self.metrics.polled(await asyncio.shield(task))
        except asyncio.CancelledError:
            if self._stopping is None or not self._stopping.is_set():
                raise
            return  # abandoned at shutdown, after the grace period: said by _drain
        except Exception:  # the schedule goes on; the next tick tries again
            log.exception("poll failed", extra={"stage": "schedule"})
        finally:
            self._inflight.discard(task)
        sd_notify("WATCHDOG=1")

    async def _drain(self) -> None:
        if not self._inflight:
            return
        _, pending = await asyncio.wait(self._inflight, timeout=self.config.schedule.grace_period)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("abandoned %d in-flight poll(s) after the grace period", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        """Idempotent: close the HTTP client and the database."""
        if self._closed:
            return
        self._closed = True
        await self.client.aclose()
        self.store.close()
