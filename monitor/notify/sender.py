"""The sender: due alerts become messages, and messages are delivered to every URL of their
channel through Apprise, with retries; the outbox tables (store/outbox.py) record each step.

One pass (:meth:`Sender.step`):

1. compose, in one transaction: the alerts that are due are grouped into messages (one per
   alert; one per rule and channel for a digest) with one pending delivery per URL of the
   channel. A throttled rule that has had its ``max`` messages in the last ``per`` has the
   rest of its alerts moved into the digest at the end of that period ("folded"). Feeds
   that broke, fell silent or recovered get a message to the health channel
   (:mod:`monitor.notify.health`).
2. send: each due delivery is rendered in the format its service takes (HTML for email,
   Markdown for Slack, text for webhooks...) and sent by one Apprise object for that one
   URL; it is marked sent, or failed with the reason, its attempt counted and its next
   attempt set (``notify.retry_first`` doubling up to ``notify.retry_max``). Nothing is
   dropped: a delivery waits until it goes. One dead URL delays no other.

Apprise logs secrets at DEBUG (request URLs with tokens); its records are kept out of our
logs, and the reason of a failure is taken from that call's own log lines with every part
of the URL (password, path, query values, ``${VAR}`` values) masked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

from monitor.config import Config
from monitor.errors import MonitorError, NotifyError
from monitor.match.rules import RuleSpec
from monitor.models import ChannelSpec
from monitor.notify import health
from monitor.notify import render as rendering
from monitor.notify.channels import channel_urls, expand, quiet_apprise, shown, url_key
from monitor.notify.routing import period_end
from monitor.store import Store, outbox
from monitor.store import health as health_rows
from monitor.store.transaction import transaction

log = logging.getLogger(__name__)

IMMEDIATE, DIGEST, FOLDED = 0, 1, 2  # alerts.digest: how an alert waits
BATCH = 100  # deliveries taken per pass
CLAIM_MARGIN = 5  # seconds a claim outlasts twice the send's own time limit
MIN_SECRET = 4  # characters: shorter URL parts are not masked (they are words like "x")
PORT_DIGITS = 5
_HOST = re.compile(r"(?i)localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+|\[[0-9a-f:.]+\]")

_SEVERITY_TYPES = {"critical": "failure", "high": "warning", "medium": "info", "low": "info"}


@dataclass(frozen=True)
class Outcome:
    """One delivery attempt to one URL."""

    url: str  # shown (secrets masked)
    ok: bool
    reason: str = ""


class Sender:
    def __init__(self, config: Config, store: Store,
                 rules: Callable[[], Mapping[str, RuleSpec]] = dict,
                 environ: Mapping[str, str] | None = None,
                 on_step: Callable[[int, int], None] | None = None) -> None:
        self.config = config
        self.store = store
        self.rules = rules  # the rules loaded now (titles, severities, throttles)
        self.environ = environ
        self.on_step = on_step  # told (sent, failed) after each pass: the metrics
        self.channels = {channel.name: channel for channel in config.channels}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()  # set by run()'s caller: no new sends
        self._warned: set[str] = set()
        quiet_apprise()

    def wake(self) -> None:
        """New alerts are queued: run a pass soon (the daemon's loop waits on this)."""
        self._wake.set()

    async def step(self, now: datetime | None = None) -> tuple[int, int]:
        """Compose and send what is due; returns (sent, failed) deliveries. Each URL's
        deliveries go in order, the URLs side by side: a slow one holds back no other."""
        now = now or datetime.now(UTC)
        await self.store.run(self._compose, now)
        queues: dict[str, list[dict[str, Any]]] = {}
        for delivery in await self.store.run(outbox.due_deliveries, now, BATCH):
            queues.setdefault(delivery["url_key"], []).append(delivery)
        results = await asyncio.gather(*(self._send_all(queue, now)
                                         for queue in queues.values()), return_exceptions=True)
        for result in results:  # every queue has finished; now a failure may surface
            if isinstance(result, BaseException):
                raise result
        counts = [r for r in results if not isinstance(r, BaseException)]
        sent, failed = sum(c[0] for c in counts), sum(c[1] for c in counts)
        if self.on_step is not None:
            self.on_step(sent, failed)
        if sent:
            log.info("notify: %d delivery(ies) sent", sent, extra={"stage": "notify"})
        return sent, failed

    async def _send_all(self, queue: list[dict[str, Any]], now: datetime) -> tuple[int, int]:
        sent = failed = 0
        for delivery in queue:
            if self._stop.is_set():
                break  # shutting down: the rest stays pending for the next start
            until = datetime.now(UTC) + timedelta(
                seconds=2 * self.config.notify.timeout + CLAIM_MARGIN)
            if not await self.store.run(outbox.claim, delivery["id"], now, until):
                continue  # another pass or process is sending it
            outcome = await self._attempt(delivery)
            finished = datetime.now(UTC)
            if outcome.ok:
                await self.store.run(outbox.mark_sent, delivery["id"], finished)
                sent += 1
                continue
            wait = backoff(delivery["attempts"] + 1, self.config.notify.retry_first,
                           self.config.notify.retry_max)
            await self.store.run(outbox.mark_failed, delivery["id"], outcome.reason, finished,
                                 finished + timedelta(seconds=wait))
            failed += 1
            log.warning("notify: delivery %d to %s (channel %s) failed, attempt %d; next in "
                        "%ss: %s", delivery["id"], outcome.url, delivery["channel"],
                        delivery["attempts"] + 1, wait, outcome.reason,
                        extra={"stage": "notify", "error_code": "notify.failed"})
        return sent, failed

    async def drain(self, wait: float) -> tuple[int, int]:
        """Pass after pass until nothing is due within ``wait`` seconds (``run --once``)."""
        deadline = datetime.now(UTC) + timedelta(seconds=wait)
        totals = [0, 0]
        while True:
            sent, failed = await self.step()
            totals[0] += sent
            totals[1] += failed
            upcoming = await self.store.run(outbox.next_attempt, datetime.now(UTC))
            if upcoming is None:
                break
            due = datetime.fromisoformat(upcoming)
            if due > deadline:
                break
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        return totals[0], totals[1]

    async def run(self, stop: asyncio.Event) -> None:
        """The daemon's sending loop: a pass on each wake-up, each tick and each due retry;
        once ``stop`` is set, no new send starts."""
        self._stop = stop
        while not stop.is_set():
            self._wake.clear()  # before the pass: a wake-up during it is not lost
            try:
                await self.step()
                upcoming = await self.store.run(outbox.next_attempt, datetime.now(UTC))
            except Exception:  # the loop never dies: the outbox keeps everything
                log.exception("notify: sending pass failed", extra={"stage": "notify"})
                upcoming = None
            timeout = float(self.config.notify.tick)
            if upcoming is not None:
                until = (datetime.fromisoformat(upcoming) - datetime.now(UTC)).total_seconds()
                timeout = min(timeout, max(until, 0.0))
            waiters = [asyncio.ensure_future(self._wake.wait()),
                       asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def test(self, channel: str) -> list[Outcome]:
        """A test message to every URL of ``channel``, sent now, outside the outbox."""
        spec = self.channels.get(channel)
        if spec is None:
            raise NotifyError(f"notify: no channel '{channel}' in the config (defined: "
                              f"{', '.join(sorted(self.channels)) or 'none'})",
                              "notify.unknown_channel")
        message = {"kind": "test", "channel": channel, "payload": {}, "hits": []}
        urls = channel_urls(spec, self.config.base_dir)
        return list(await asyncio.gather(*(asyncio.to_thread(self._deliver, url, spec, message)
                                           for url in urls)))

    # -- compose ---------------------------------------------------------------------------

    def _compose(self, db: Any, now: datetime) -> None:
        with transaction(db):
            groups: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
            for alert in outbox.due_alerts(db, now):
                groups.setdefault((alert["rule_id"], alert["channel"],
                                   alert["digest"] != IMMEDIATE), []).append(alert)
            rules = self.rules()
            for (rule_id, channel, digest), alerts in groups.items():
                urls = self._urls(channel)
                if urls is None:
                    continue  # unknown or unreadable channel: the alerts wait, and are logged
                rule = rules.get(rule_id)
                payload = _payload(rule)
                if digest:
                    payload["folded"] = sum(a["digest"] == FOLDED for a in alerts)
                    outbox.create_message(db, channel, "digest", rule_id, payload,
                                          [a["id"] for a in alerts], urls, now)
                    continue
                allowed = len(alerts)
                throttle = rule.notify.throttle if rule is not None else None
                if throttle is not None:
                    since = now - timedelta(seconds=throttle.period)
                    allowed = max(0, throttle.limit - outbox.messages_since(
                        db, rule_id, channel, since))
                for alert in alerts[:allowed]:
                    outbox.create_message(db, channel, "alert", rule_id, payload,
                                          [alert["id"]], urls, now)
                if throttle is not None and alerts[allowed:]:
                    outbox.defer_alerts(db, [a["id"] for a in alerts[allowed:]],
                                        period_end(now, throttle.period), FOLDED)
            self._check_health(db, now)

    def _check_health(self, db: Any, now: datetime) -> None:
        """Feeds that broke, fell silent or recovered: their state, and a message to the
        health channel (when one is set)."""
        found = health.changes(health_rows.feeds_for_health(db), now, self.config.notify)
        channel = self.config.health_channel
        urls = self._urls(channel) if found and channel else None
        if channel and found and urls is None:
            return  # the states wait too: the messages are made once the channel works
        for change in found:
            health_rows.set_health(db, change.feed_id, change.state, now)
            log.warning("%s: %s", change.title, change.text,
                        extra={"stage": "notify", "feed_id": change.feed_id})
            if urls is not None:
                outbox.create_message(db, channel, "health", None,
                                      {"title": change.title, "text": change.text,
                                       "recovered": change.recovered}, [], urls, now)

    def _urls(self, channel: str) -> list[tuple[str, str]] | None:
        """(url_key, shown) of the channel's URLs; None (logged once) when it cannot be used."""
        spec = self.channels.get(channel)
        try:
            if spec is None:
                raise NotifyError(f"notify: alerts wait for channel '{channel}', which the "
                                  "config does not define: add a [channels."
                                  f"{channel}] table", "notify.unknown_channel")
            urls = channel_urls(spec, self.config.base_dir)
        except NotifyError as exc:
            if channel not in self._warned:
                self._warned.add(channel)
                log.error("%s", exc.message, extra={"stage": "notify", "error_code": exc.code})
            return None
        self._warned.discard(channel)
        return [(url_key(url), shown(url)) for url in urls]

    # -- send ------------------------------------------------------------------------------

    async def _attempt(self, delivery: Mapping[str, Any]) -> Outcome:
        spec = self.channels.get(delivery["channel"])
        try:
            if spec is None:
                raise NotifyError(f"channel '{delivery['channel']}' is not in the config",
                                  "notify.unknown_channel")
            url = next((u for u in channel_urls(spec, self.config.base_dir)
                        if url_key(u) == delivery["url_key"]), None)
            if url is None:
                raise NotifyError(f"{delivery['url_shown']} is no longer a URL of channel "
                                  f"{spec.name}", "notify.url_gone")
            message = await self.store.run(outbox.message, delivery["message_id"])
        except MonitorError as exc:
            return Outcome(delivery["url_shown"], False, exc.message)
        return await asyncio.to_thread(self._deliver, url, spec, message)

    def _deliver(self, url: str, channel: ChannelSpec, message: Mapping[str, Any]) -> Outcome:
        """One message to one URL with its own Apprise object (on a worker thread)."""
        import apprise

        display = shown(url)
        try:
            real = expand(url, channel.name, self.environ)
        except NotifyError as exc:
            return Outcome(display, False, exc.message)
        server = apprise.Apprise.instantiate(real, suppress_exceptions=True)
        if not server:
            return Outcome(display, False, f"Apprise cannot read the URL {display}: check it "
                           "against https://github.com/caronc/apprise/wiki")
        server.request_rate_per_sec = 0  # one message per object: no throttling wait
        if "overflow=" not in real and server.service_name != "E-Mail":
            server.overflow_mode = apprise.OverflowMode.SPLIT
        fmt = _our_format(server.resolve_format())
        country = _country_namer(channel.language)
        rendered = rendering.render(message, fmt, country)
        title = rendered.title
        if fmt == rendering.HTML and not server.title_maxlen:  # the service puts it in the body
            title = rendering.escape(title, rendering.HTML)
        sender = apprise.Apprise()
        sender.add(server)
        kind = _notify_type(message)
        result = sender.notify(body=rendered.body, title=title,
                               body_format=apprise.NotifyFormat(fmt),
                               notify_type=apprise.NotifyType(kind),
                               timeout=float(self.config.notify.timeout),
                               log_level=logging.DEBUG)
        if result:
            return Outcome(display, True)
        return Outcome(display, False, _reason(result, real, self.environ, url))


def _payload(rule: RuleSpec | None) -> dict[str, Any]:
    if rule is None:
        return {}
    return {"rule_title": rule.title, "severity": rule.severity,
            "description": rule.description}


def _our_format(value: Any) -> str:
    text = str(getattr(value, "value", value))
    return text if text in rendering.FORMATS else rendering.TEXT


def _notify_type(message: Mapping[str, Any]) -> str:
    if message["kind"] == "health":
        return "success" if message["payload"].get("recovered") else "failure"
    if message["kind"] == "test":
        return "info"
    return _SEVERITY_TYPES.get(str(message["payload"].get("severity")), "info")


def _country_namer(lang: str) -> Callable[[str], str]:
    from monitor.match.countries import country_name

    def name(code: str) -> str:
        try:
            return country_name(code, lang)
        except MonitorError:
            return code

    return name


def _reason(result: Any, real: str, environ: Mapping[str, str] | None, written: str) -> str:
    """Why a send failed, from that call's Apprise log lines, secrets masked."""
    lines = []
    for entry in result.logs():
        message = str(entry.message)
        level = logging.getLevelName(str(getattr(entry, "level", "WARNING")))
        if (isinstance(level, int) and level >= logging.WARNING) or message.startswith(
                ("Socket Exception", "Response")):
            lines.append(" ".join(message.split()))
    status = getattr(getattr(result, "status", None), "name", "FAILURE").lower()
    reason = "; ".join(dict.fromkeys(lines)) or f"Apprise reported {status}"
    return _masked(reason, real, environ, written)[:1000]


def _masked(text: str, real: str, environ: Mapping[str, str] | None, written: str) -> str:
    """``text`` with every secret-looking part of the sent URL replaced by ****: the user
    and password, the pieces of the host part that are no host name or port (a Telegram bot
    token lives there), the path segments, the query values and the ``${VAR}`` values."""
    parts = urlsplit(real)
    secrets = {segment for segment in parts.path.split("/")}
    secrets |= {value for _, value in parse_qsl(parts.query)}
    for piece in re.split(r"[:@]", parts.netloc):
        if not (_HOST.fullmatch(piece) or (piece.isdigit() and len(piece) <= PORT_DIGITS)):
            secrets.add(piece)
    secrets |= {parts.password or "", parts.username or ""}
    if "${" in written:
        env = os.environ if environ is None else environ
        secrets |= {value for name, value in env.items() if "${" + name + "}" in written}
    forms = set()
    for secret in secrets:  # as written, and as a URL or a log line may have encoded it
        forms |= {secret, quote(secret, safe=""), quote_plus(secret), quote(secret),
                  unquote(secret), unquote_plus(secret)}
    for secret in sorted((s for s in forms if len(s) >= MIN_SECRET), key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


def backoff(failures: int, first: int, most: int) -> int:
    """Seconds before the next attempt after ``failures`` failed ones: first, 2x, 4x...,
    at most ``most``."""
    return int(min(most, first * 2 ** min(max(failures - 1, 0), 40)))
