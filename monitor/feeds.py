"""Managing feeds: the library under ``newsmon feeds ...``.

Feeds live in the database. ``[[feeds]]`` of the config file are synced into it at start
(:func:`monitor.store.feeds.sync_config_feeds`), so removing one that the config still
lists is refused: it would come back at the next start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from monitor import schedule
from monitor.config import Config
from monitor.discover import discover
from monitor.errors import ConfigError, StoreError
from monitor.fetch import Fetcher, build_client
from monitor.language import normalise_code
from monitor.models import FeedSpec
from monitor.opml import read_opml, write_opml
from monitor.store import feeds as store_feeds


def find_feed(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    """A feed row by id or URL; StoreError saying how to list feeds when there is none."""
    row = store_feeds.get_feed_row(db, key)
    if row is None:
        raise StoreError(f"feeds: no feed '{key}' (see `newsmon feeds list` for ids and URLs)",
                         "store.no_such_feed")
    return row


async def resolve_feed_url(config: Config, url: str) -> tuple[str, str | None]:
    """(feed URL, feed title) for a feed or site URL, discovering the feed from a site."""
    async with build_client(config.fetch) as client:
        feed_url, parsed = await discover(Fetcher(client, config.fetch), url)
    return feed_url, parsed.title


def language_code(value: str) -> str:
    """A user-given language as its ISO 639-1 code; ConfigError when it is not one."""
    code = normalise_code(value)
    if code is None:
        raise ConfigError(f"feeds: '{value}' is not a language code (use e.g. fr, en-US)",
                          "config.bad_lang")
    return code


def add(db: sqlite_utils.Database, spec: FeedSpec) -> dict[str, Any]:
    """Add a feed to be polled at the next tick; the new row."""
    if spec.lang is not None:
        spec = replace(spec, lang=language_code(spec.lang))
    feed_id = store_feeds.add_feed(db, spec, datetime.now(UTC))
    return find_feed(db, str(feed_id))


def edit(db: sqlite_utils.Database, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    row = find_feed(db, key)
    if changes.get("lang") is not None:
        changes = {**changes, "lang": language_code(changes["lang"])}
    store_feeds.update_feed(db, row["id"], changes)
    return find_feed(db, str(row["id"]))


def remove(db: sqlite_utils.Database, config: Config, key: str) -> dict[str, Any]:
    """Delete a feed and its articles, unless the config file lists it."""
    row = find_feed(db, key)
    if any(f.url in (row["url"], row["origin_url"]) for f in config.feeds):
        raise ConfigError(
            f"feeds: {row['url']} is listed in {config.source or 'the embedded config'}; "
            "remove its [[feeds]] table there first, or it comes back at the next start "
            "(`newsmon feeds pause` stops polling it meanwhile)",
            "config.feed_in_config",
        )
    store_feeds.remove_feed(db, row["id"])
    return row


def import_opml(db: sqlite_utils.Database, config: Config, data: bytes, name: str,
                progress: Callable[[Iterable[FeedSpec]], Iterable[FeedSpec]] = iter,
                ) -> tuple[int, int]:
    """Add every feed of an OPML file not there yet: (added, already present).

    First polls are spread over ``schedule.startup_spread``; an outline's language that is
    not a language code is dropped (the feed still comes in)."""
    added = present = 0
    now = datetime.now(UTC)
    for spec in progress(read_opml(data, name)):
        if store_feeds.get_feed_row(db, spec.url) is not None:
            present += 1
            continue
        spec = replace(spec, lang=normalise_code(spec.lang))
        store_feeds.add_feed(db, spec, schedule.first_check(spec.url, now,
                                                            config.schedule.startup_spread))
        added += 1
    return added, present


def export_opml(db: sqlite_utils.Database) -> str:
    return write_opml(store_feeds.list_feed_rows(db))
