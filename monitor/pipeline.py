"""The flow, top to bottom: one feed's refresh reads as

    fetch -> parse -> extract -> language -> dedup -> store -> match -> notify

(dedup computes the keys; the store applies them in the write transaction, which is why
articles are stored before they are matched: a hit needs the article's id.)

``Pipeline.poll`` asks the store which feeds are due and refreshes them concurrently (the
fetcher bounds how many run at once). A feed's failure is recorded on its row with its
code and the next check backs off; it never stops the other feeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import TYPE_CHECKING, Any

from monitor import extract, schedule
from monitor.config import Config
from monitor.dedup import near
from monitor.dedup.exact import canonical_url, content_hash
from monitor.errors import FetchError, MonitorError, StoreError
from monitor.fetch import Fetcher
from monitor.language import CONFIDENT, Detector, detect, prior_still_trusted
from monitor.match import match_article
from monitor.models import (
    Article,
    Feed,
    FetchResult,
    Hit,
    ParsedEntry,
    ParsedFeed,
    PollResult,
    SavedArticle,
    SaveStatus,
)
from monitor.notify import Notifier
from monitor.notify.routing import Router
from monitor.parse import parse_feed
from monitor.store import Store, articles, feeds, stories
from monitor.store.db import to_iso
from monitor.store.hits import save_hits
from monitor.store.outbox import queue_alerts
from monitor.store.transaction import transaction

if TYPE_CHECKING:
    from monitor.match.matcher import Matcher

MATCHABLE = frozenset({SaveStatus.NEW, SaveStatus.UPDATED})

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    config: Config
    store: Store
    fetcher: Fetcher
    detector: Detector
    matcher: Matcher | None = None  # None: no rules loaded
    router: Router | None = None  # which channels a hit goes to; None: hits are only stored
    notifier: Notifier | None = None
    timings: dict[str, float] = field(default_factory=dict)

    async def poll(self, include_all: bool = False) -> list[PollResult]:
        """Refresh every due feed (every unpaused feed with ``include_all``)."""
        now = datetime.now(UTC)
        due = await self.store.run(
            feeds.due_feeds, now, self.config.default_interval, include_all)
        log.info("polling %d due feed(s)", len(due), extra={"stage": "schedule"})
        unchanged: list[tuple[int, dict[str, Any]]] = []
        results = list(await asyncio.gather(*(self.refresh(feed, unchanged) for feed in due)))
        if unchanged:  # one transaction for every feed that had nothing new
            try:
                await self.store.run(self._record_unchanged, unchanged)
            except StoreError as exc:  # those feeds stay due and are checked again next tick
                log.error("%s", exc, extra={"error_code": exc.code, "stage": "store"})
        if due:
            try:  # articles older than the dedup window leave the near-duplicate index
                await self.store.run(self._prune, now - timedelta(
                    seconds=self.config.dedup.window))
            except StoreError as exc:
                log.error("%s", exc, extra={"error_code": exc.code, "stage": "dedup"})
        return results

    @staticmethod
    def _prune(db: Any, before: datetime) -> None:
        with transaction(db):
            stories.prune(db, before)

    async def refresh(self, feed: Feed,
                      unchanged: list[tuple[int, dict[str, Any]]]) -> PollResult:
        """Miniflux's RefreshFeed: fetch, parse, process new entries, update the feed row.

        A feed with nothing new (304, or the same body) has its row update appended to
        ``unchanged`` for the caller to write in one batch (a moved feed is written now).
        """
        try:
            fetched = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified)
            same_body = feed.body_hash is not None and fetched.body_hash == feed.body_hash
            if fetched.not_modified or same_body:
                values = self._feed_values(feed, fetched, None)
                if fetched.permanent_url is None:
                    unchanged.append((feed.id, values))
                else:
                    await self.store.run(self._save, feed.id, fetched.permanent_url, values,
                                         [], (0, 0), [])
                return self._report(feed, "not_modified" if fetched.not_modified else "unchanged")
            parsed = self._timed("parse", parse_feed, fetched.body, fetched.headers, fetched.url,
                                 fetched_at=fetched.fetched_at,
                                 max_entries=self.config.fetch.max_entries,
                                 max_size=self.config.fetch.max_decompressed_size)
            changed = await self._changed_entries(feed, parsed.entries)
            entries = [entry for entry, _ in changed]
            if feed.full_text:
                entries = list(await asyncio.gather(
                    *(extract.full_text(self.fetcher, e) for e in entries)))
            new_articles = [
                self._prepare(feed, parsed, entry, entry_hash, fetched.fetched_at)
                for entry, (_, entry_hash) in zip(entries, changed, strict=True)
            ]
            votes = self._language_votes(new_articles)
            found = self._match(feed, new_articles)
            saved, hits = await self.store.run(self._save, feed.id, fetched.permanent_url,
                                               self._feed_values(feed, fetched, parsed),
                                               new_articles, votes, found)
            self._notify(hits)
            return self._report(feed, "ok", saved, hits)
        except MonitorError as exc:
            return await self._fail(feed, exc.code, exc.message,
                                    exc.retry_at if isinstance(exc, FetchError) else None)
        except Exception as exc:  # the loop never dies on one feed
            log.exception("internal error refreshing %s", feed.url,
                          extra={"feed_id": feed.id, "feed_url": feed.url})
            return await self._fail(feed, "monitor.internal", f"internal error: {exc!r}", None)

    def _notify(self, hits: Sequence[Hit]) -> None:
        """notify: the alerts are in the outbox (queued with their hits); wake the sender."""
        if hits and self.notifier is not None:
            self.notifier.wake()

    async def _changed_entries(self, feed: Feed, entries: Sequence[ParsedEntry]
                               ) -> list[tuple[ParsedEntry, str]]:
        """(entry, entry hash) of entries not stored yet, or whose title/text changed."""
        known = await self.store.run(articles.known_hashes, feed.id, [e.guid for e in entries])
        fresh: dict[str, tuple[ParsedEntry, str]] = {}
        for entry in entries:
            entry_hash = content_hash(entry.title, entry.text)
            if known.get(entry.guid) != entry_hash:
                fresh.setdefault(entry.guid, (entry, entry_hash))  # repeated GUID: first wins
        return list(fresh.values())

    def _prepare(self, feed: Feed, parsed: ParsedFeed, entry: ParsedEntry, entry_hash: str,
                 fetched_at: datetime) -> Article:
        """language, then dedup keys, for one entry."""
        declared = entry.declared_lang or parsed.declared_lang or feed.lang
        trusted = prior_still_trusted(*feed.lang_votes)
        weight = self.config.language.prior_weight if trusted else 0.0
        language = self._timed("language", detect, self.detector, entry.title, entry.text,
                               declared, weight)
        article = Article(
            feed_id=feed.id, guid=entry.guid, url=entry.url, canonical_url=canonical_url(entry.url),
            title=entry.title, text=entry.text, lang=language.code,
            lang_confidence=language.confidence, declared_lang=declared,
            published_at=entry.published_at, fetched_at=fetched_at,
            content_hash=content_hash(entry.title, entry.text) if feed.full_text else entry_hash,
            entry_hash=entry_hash,
            signature=self._timed("dedup", near.signature, entry.title, entry.text),
        )
        return article

    @staticmethod
    def _language_votes(new_articles: Sequence[Article]) -> tuple[int, int]:
        """(agree, disagree): confident detections against the language the feed declared
        (item, channel or configured). A feed that declares wrongly too often (a CMS left
        at "en", a mislabelled config) stops getting the prior."""
        agree = disagree = 0
        for article in new_articles:
            if article.declared_lang and article.lang_confidence >= CONFIDENT:
                agree += article.lang == article.declared_lang
                disagree += article.lang != article.declared_lang
        return agree, disagree

    def _feed_values(self, feed: Feed, fetched: FetchResult,
                     parsed: ParsedFeed | None) -> dict[str, Any]:
        """The feed row after a successful poll: validators, body hash, next check."""
        cache_ttl = max((parsed.ttl if parsed else None) or 0, fetched.max_age or 0) or None
        interval = schedule.effective_interval(
            feed.interval, cache_ttl or feed.cache_ttl, self.config.schedule.max_interval)
        values: dict[str, Any] = {
            "last_check_at": to_iso(fetched.fetched_at),
            "last_success_at": to_iso(fetched.fetched_at),
            "next_check_at": to_iso(schedule.after_success(feed.url, fetched.fetched_at, interval)),
            "etag": fetched.etag or feed.etag,
            "last_modified": fetched.last_modified or feed.last_modified,
        }
        if fetched.body_hash:
            values["body_hash"] = fetched.body_hash
        if parsed is not None:
            values["cache_ttl"] = cache_ttl
            if parsed.site_url:
                values["site_url"] = parsed.site_url
        return values

    def _match(self, feed: Feed, new_articles: Sequence[Article]) -> list[Hit]:
        """match: every loaded rule over each new or changed article."""
        if self.matcher is None:
            return []
        matcher = self.matcher
        return [hit for article in new_articles
                for hit in self._timed("match", match_article, matcher, article, feed)]

    def _save(self, db: Any, feed_id: int, moved_to: str | None, values: dict[str, Any],
              new_articles: list[Article], votes: tuple[int, int], found: Sequence[Hit],
              ) -> tuple[list[SavedArticle], list[Hit]]:
        """store: the articles, their hits, their alerts and the feed row, in one transaction
        (on the store thread). Hits of duplicates are dropped; an article a rule already hit
        keeps its hit (and is not alerted again)."""
        with self._timer("store"), transaction(db):
            if moved_to and feeds.move_feed(db, feed_id, moved_to):
                log.info("feed moved permanently to %s", moved_to,
                         extra={"feed_id": feed_id, "feed_url": moved_to})
            elif moved_to:
                log.warning("feed %d redirects permanently to %s, which is already another "
                            "feed; remove one of them (`newsmon feeds remove`)", feed_id,
                            moved_to, extra={"feed_id": feed_id, "feed_url": moved_to})
            saved = articles.save_articles(db, new_articles)
            now = datetime.now(UTC)
            self._group(db, feed_id, saved, now)
            stored = {s.article.guid: s.id for s in saved if s.status in MATCHABLE}
            hits = save_hits(db, found, stored)
            if hits and self.router is not None:
                window = now - timedelta(seconds=self.config.dedup.window)
                first = stories.first_hits(db, hits, window)  # a later copy: its story only
                queue_alerts(db, self.router.plans(first, {a.guid: a for a in new_articles},
                                                   now), now)
            feeds.record_success(db, feed_id, values)
            feeds.count_language_votes(db, feed_id, *votes)
        return saved, hits

    def _group(self, db: Any, feed_id: int, saved: Sequence[SavedArticle],
                now: datetime) -> None:
        """dedup: each new article into its story; an exact copy is a source of its story."""
        since = now - timedelta(seconds=self.config.dedup.window)
        for item in saved:
            if item.status is SaveStatus.NEW:
                stories.assign(db, item.id, feed_id, item.article.title, item.article.lang,
                               item.article.signature, now, since)
            elif item.status is SaveStatus.UPDATED:
                stories.refresh(db, item.id, item.article.signature, now)
            elif item.status is SaveStatus.DUPLICATE:
                stories.add_duplicate(db, item.id, feed_id, now)

    def _record_unchanged(self, db: Any, rows: list[tuple[int, dict[str, Any]]]) -> None:
        with self._timer("store"), transaction(db):
            for feed_id, values in rows:
                feeds.record_success(db, feed_id, values)

    async def _fail(self, feed: Feed, code: str, message: str,
                    retry_at: datetime | None) -> PollResult:
        now = datetime.now(UTC)
        next_at = schedule.after_failure(
            feed.url, now, schedule.effective_interval(
                feed.interval, feed.cache_ttl, self.config.schedule.max_interval),
            feed.error_count + 1, self.config.schedule.max_backoff, retry_at)
        try:
            await self.store.run(feeds.record_failure, feed.id, code, message, now, next_at)
        except StoreError as exc:  # logged; the feed stays due and is retried next tick
            log.error("cannot record the failure of %s: %s", feed.url, exc,
                      extra={"feed_id": feed.id, "error_code": exc.code, "stage": "store"})
        log.warning("%s", message, extra={"feed_id": feed.id, "feed_url": feed.url,
                                          "error_code": code, "stage": code.split(".")[0]})
        return PollResult(feed.id, feed.url, "error", error_code=code, error=message)

    def _report(self, feed: Feed, status: str, saved: Sequence[SavedArticle] = (),
                hits: Sequence[Hit] = ()) -> PollResult:
        new = sum(s.status is SaveStatus.NEW for s in saved)
        updated = sum(s.status is SaveStatus.UPDATED for s in saved)
        log.info("polled %s: %s, %d new, %d updated, %d hit(s)", feed.url, status, new, updated,
                 len(hits), extra={"feed_id": feed.id, "feed_url": feed.url, "stage": "pipeline"})
        return PollResult(feed.id, feed.url, status, new=new, updated=updated, hits=len(hits))

    def _timed(self, stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` and add its wall time to ``timings[stage]`` (printed by the benchmark)."""
        with self._timer(stage):
            return fn(*args, **kwargs)

    @contextmanager
    def _timer(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + perf_counter() - start

